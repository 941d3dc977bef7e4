/*
 * What an AWS answer means, decided in one place and without I/O: the
 * table of AWS error codes (throttling, transient, clock, expired token,
 * denied, not found, region not enabled) and the next step of a call
 * after an attempt's answer.  aws.c acts on the step; bucket.c and the
 * others classify codes through the same table.
 */
#ifndef JANITOR_AWS_DECIDE_H
#define JANITOR_AWS_DECIDE_H

#include <stdint.h>

#define AWS_CODE_THROTTLE  0x01u   /* slow down: back off, count it */
#define AWS_CODE_TRANSIENT 0x02u   /* the service failed: try again */
#define AWS_CODE_CLOCK     0x04u   /* a skewed clock may explain it */
#define AWS_CODE_EXPIRED   0x08u   /* temporary credentials expired */
#define AWS_CODE_DENIED    0x10u
#define AWS_CODE_NOT_FOUND 0x20u
#define AWS_CODE_DISABLED  0x40u   /* the region is not enabled */
/* S3's answers about a bucket that the bulk engine's owners act on. */
#define AWS_CODE_NO_BUCKET 0x80u   /* the bucket is gone (also NOT_FOUND) */
#define AWS_CODE_NOT_EMPTY 0x100u  /* DeleteBucket: objects remain */
#define AWS_CODE_NO_CONFIG 0x200u  /* the sub-resource (website) is absent */

/* The classes of an AWS error code (0 for an unknown or empty code). */
unsigned aws_code_class(const char *code);

#define AWS_SKEW_LIMIT_S 240       /* a signature this far off is skew */
/*
 * The largest correction a server's Date may make to the time requests are
 * signed with: a day.  A correction only ever signs requests (age and grace
 * are judged by the machine's clock alone), so the bound is about when a
 * request it signs may be valid, and about staying usable on a host whose
 * clock is off.  It must exceed AWS's own window (15 minutes for S3, 5 for
 * the others), or it would never correct what AWS refuses; the largest
 * error a host clock has in practice is a hardware clock kept in local time
 * (up to 14 hours).  A Date more than a day away is a wrong date, not a
 * drift (a dead clock battery, a lying endpoint: the 200 and 400 days of
 * issue 19): the correction is refused, logged as an error, and the call
 * fails.
 */
#define AWS_SKEW_MAX_S 86400

enum aws_step {
  AWS_STEP_DONE = 0,            /* a 2xx that parsed: the call succeeded */
  AWS_STEP_FAIL,                /* the call fails with this answer */
  AWS_STEP_RETRY,               /* again after a backoff, if tokens allow */
  AWS_STEP_FIX_CLOCK,           /* correct the clock offset, sign again */
  AWS_STEP_FOLLOW_REGION,       /* the bucket lives in answer.region_hint */
  AWS_STEP_RENEW_CREDS,         /* fetch new credentials, sign again */
  AWS_STEP_SKEW_REFUSED         /* skew beyond AWS_SKEW_MAX_S: not corrected;
                                   the call fails */
};

struct aws_answer {
  int err;                      /* 0: 2xx that parsed; JAN_EAWS: a service
                                   error; JAN_EPARSE: a 2xx that did not
                                   parse; JAN_EHTTP, JAN_ETIMEDOUT,
                                   JAN_ETOOBIG, JAN_ECANCELED: transport */
  long status;
  const char *code;             /* service error code, "" when none */
  int s3;                       /* S3: region answers can be followed */
  const char *region;           /* the region the attempt was signed for */
  const char *region_hint;      /* region named by the answer, "" if none */
  int region_ok;                /* region_hint passed the region checks */
  int have_date;                /* the answer's Date was read */
  int64_t skew_s;               /* its Date minus the attempt's signing time */
  int64_t clock_off_s;          /* its Date minus the machine's clock: the
                                   correction it asks for */
  unsigned attempt;             /* attempts made, this one included */
  unsigned max_attempts;
  /* Corrections already used by this call (each is made once). */
  int redirected, skew_fixed, creds_renewed, no_redirect;
  int draining;                 /* the client sends nothing new */
};

enum aws_step aws_decide(const struct aws_answer *a);
const char *aws_step_name(enum aws_step s);

#endif
