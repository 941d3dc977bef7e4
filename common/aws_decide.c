#include <string.h>

#include "janitor/aws_decide.h"
#include "janitor/err.h"

static const struct {
  const char *code;
  unsigned cls;
} codes[] = {
  /* Throttling, as the SDKs' standard retry mode lists it. */
  { "Throttling", AWS_CODE_THROTTLE },
  { "ThrottlingException", AWS_CODE_THROTTLE },
  { "ThrottledException", AWS_CODE_THROTTLE },
  { "RequestThrottledException", AWS_CODE_THROTTLE },
  { "TooManyRequestsException", AWS_CODE_THROTTLE },
  { "ProvisionedThroughputExceededException", AWS_CODE_THROTTLE },
  { "TransactionInProgressException", AWS_CODE_THROTTLE },
  { "RequestLimitExceeded", AWS_CODE_THROTTLE },
  { "BandwidthLimitExceeded", AWS_CODE_THROTTLE },
  { "LimitExceededException", AWS_CODE_THROTTLE },
  { "RequestThrottled", AWS_CODE_THROTTLE },
  { "SlowDown", AWS_CODE_THROTTLE },
  { "PriorRequestNotComplete", AWS_CODE_THROTTLE },
  { "EC2ThrottledException", AWS_CODE_THROTTLE },
  /* Transient service failures. */
  { "RequestTimeout", AWS_CODE_TRANSIENT },
  { "RequestTimeoutException", AWS_CODE_TRANSIENT },
  { "InternalError", AWS_CODE_TRANSIENT },
  { "InternalFailure", AWS_CODE_TRANSIENT },
  { "ServiceUnavailable", AWS_CODE_TRANSIENT },
  { "ServiceException", AWS_CODE_TRANSIENT },
  { "OperationAborted", AWS_CODE_TRANSIENT },   /* S3: a conflicting call */
  /* A signature outside the server's window: perhaps our clock. */
  { "RequestTimeTooSkewed", AWS_CODE_CLOCK },
  { "RequestExpired", AWS_CODE_CLOCK },
  { "InvalidSignatureException", AWS_CODE_CLOCK },
  { "SignatureDoesNotMatch", AWS_CODE_CLOCK },
  { "AuthFailure", AWS_CODE_CLOCK },
  { "ExpiredToken", AWS_CODE_EXPIRED },
  { "ExpiredTokenException", AWS_CODE_EXPIRED },
  { "TokenRefreshRequired", AWS_CODE_EXPIRED },
  { "AccessDenied", AWS_CODE_DENIED },
  { "AccessDeniedException", AWS_CODE_DENIED },
  { "NoSuchBucket", AWS_CODE_NOT_FOUND | AWS_CODE_NO_BUCKET },
  { "NoSuchKey", AWS_CODE_NOT_FOUND },
  { "ResourceNotFoundException", AWS_CODE_NOT_FOUND },
  { "BucketNotEmpty", AWS_CODE_NOT_EMPTY },
  { "NoSuchWebsiteConfiguration", AWS_CODE_NO_CONFIG },
  { "UnrecognizedClientException", AWS_CODE_DISABLED },
  { "InvalidClientTokenId", AWS_CODE_DISABLED },
  { "OptInRequired", AWS_CODE_DISABLED },
};

unsigned aws_code_class(const char *code)
{
  if(!code || !*code)
    return 0;
  for(size_t i = 0; i < JAN_ARRAY_SIZE(codes); i++)
    if(!strcmp(code, codes[i].code))
      return codes[i].cls;
  return 0;
}

const char *aws_step_name(enum aws_step s)
{
  switch(s) {
  case AWS_STEP_DONE: return "done";
  case AWS_STEP_FAIL: return "fail";
  case AWS_STEP_RETRY: return "retry";
  case AWS_STEP_FIX_CLOCK: return "fix-clock";
  case AWS_STEP_FOLLOW_REGION: return "follow-region";
  case AWS_STEP_RENEW_CREDS: return "renew-credentials";
  case AWS_STEP_SKEW_REFUSED: return "skew-refused";
  default: return "?";
  }
}

/* Worth another attempt after a backoff (the SDKs' standard mode). */
static int retryable(const struct aws_answer *a)
{
  if(a->err == JAN_EHTTP || a->err == JAN_ETIMEDOUT || a->err == JAN_EPARSE)
    return 1;
  if(a->err != JAN_EAWS)
    return 0;
  if(a->status == 500 || a->status == 502 || a->status == 503 ||
     a->status == 504 || a->status == 429)
    return 1;
  return (aws_code_class(a->code) &
          (AWS_CODE_THROTTLE | AWS_CODE_TRANSIENT)) != 0;
}

enum aws_step aws_decide(const struct aws_answer *a)
{
  unsigned cls = aws_code_class(a->code);

  if(!a->err)
    return AWS_STEP_DONE;
  if(a->err == JAN_ECANCELED || a->err == JAN_ETOOBIG)
    return AWS_STEP_FAIL;
  if(a->err == JAN_EAWS) {
    /* Corrections come first and each once: they are not retries. */
    if(!a->skew_fixed && a->have_date && (cls & AWS_CODE_CLOCK) &&
       (a->skew_s > AWS_SKEW_LIMIT_S || a->skew_s < -AWS_SKEW_LIMIT_S))
      return a->clock_off_s > AWS_SKEW_MAX_S ||
             a->clock_off_s < -AWS_SKEW_MAX_S ? AWS_STEP_SKEW_REFUSED
                                              : AWS_STEP_FIX_CLOCK;
    if(a->s3 && !a->redirected && !a->no_redirect &&
       (a->status == 301 || a->status == 307 || a->status == 400) &&
       a->region_hint && a->region_hint[0] &&
       strcmp(a->region_hint, a->region) != 0)
      return a->region_ok ? AWS_STEP_FOLLOW_REGION : AWS_STEP_FAIL;
    if(!a->creds_renewed && (cls & AWS_CODE_EXPIRED))
      return AWS_STEP_RENEW_CREDS;
  }
  if(retryable(a) && a->attempt < a->max_attempts && !a->draining)
    return AWS_STEP_RETRY;
  return AWS_STEP_FAIL;
}
