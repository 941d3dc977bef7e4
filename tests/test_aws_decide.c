/*
 * The request decision (aws_decide.c) as a table: each row an answer an
 * AWS service gives and the step a call must take, for the cases the
 * integration tests cover through the stand-in (retries on 500/503 and
 * throttling, the retry budget of attempts, clock skew, region answers,
 * an expired token, denials and the transport errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "janitor/aws_decide.h"
#include "janitor/err.h"

struct row {
  const char *what;
  struct aws_answer a;
  enum aws_step want;
};

/* Unset fields get their usual values in test_table(): region eu-west-1,
 * no region hint, the first of 3 attempts. */
#define ANS(...) { __VA_ARGS__ }

static const struct row rows[] = {
  { "2xx", ANS(.err = 0, .status = 200), AWS_STEP_DONE },
  { "2xx that did not parse", ANS(.err = JAN_EPARSE, .status = 200),
    AWS_STEP_RETRY },
  { "500", ANS(.err = JAN_EAWS, .status = 500, .code = "InternalError"),
    AWS_STEP_RETRY },
  { "502 without a code", ANS(.err = JAN_EAWS, .status = 502, .code = ""),
    AWS_STEP_RETRY },
  { "503 SlowDown", ANS(.err = JAN_EAWS, .status = 503, .code = "SlowDown"),
    AWS_STEP_RETRY },
  { "429 Lambda throttling", ANS(.err = JAN_EAWS, .status = 429,
                                 .code = "TooManyRequestsException"),
    AWS_STEP_RETRY },
  { "400 Throttling (IAM/STS)", ANS(.err = JAN_EAWS, .status = 400,
                                    .code = "Throttling"), AWS_STEP_RETRY },
  { "409 OperationAborted", ANS(.err = JAN_EAWS, .status = 409,
                                .code = "OperationAborted"), AWS_STEP_RETRY },
  { "last attempt", ANS(.err = JAN_EAWS, .status = 503, .code = "SlowDown",
                        .attempt = 3), AWS_STEP_FAIL },
  { "draining (SIGTERM)", ANS(.err = JAN_EAWS, .status = 500,
                              .code = "InternalError", .draining = 1),
    AWS_STEP_FAIL },
  { "connection refused", ANS(.err = JAN_EHTTP), AWS_STEP_RETRY },
  { "timeout", ANS(.err = JAN_ETIMEDOUT), AWS_STEP_RETRY },
  { "body over the cap", ANS(.err = JAN_ETOOBIG, .status = 200),
    AWS_STEP_FAIL },
  { "cancelled", ANS(.err = JAN_ECANCELED), AWS_STEP_FAIL },
  { "403 AccessDenied", ANS(.err = JAN_EAWS, .status = 403,
                            .code = "AccessDenied"), AWS_STEP_FAIL },
  { "404 NoSuchBucket", ANS(.err = JAN_EAWS, .status = 404,
                            .code = "NoSuchBucket"), AWS_STEP_FAIL },
  { "region not enabled", ANS(.err = JAN_EAWS, .status = 403,
                              .code = "UnrecognizedClientException"),
    AWS_STEP_FAIL },
  { "skew of 15 min", ANS(.err = JAN_EAWS, .status = 403,
                          .code = "RequestTimeTooSkewed", .have_date = 1,
                          .skew_s = 900), AWS_STEP_FIX_CLOCK },
  { "skew the other way", ANS(.err = JAN_EAWS, .status = 403,
                              .code = "InvalidSignatureException",
                              .have_date = 1, .skew_s = -3600),
    AWS_STEP_FIX_CLOCK },
  { "skew within the window", ANS(.err = JAN_EAWS, .status = 403,
                                  .code = "SignatureDoesNotMatch",
                                  .have_date = 1, .skew_s = 30),
    AWS_STEP_FAIL },
  { "skew already fixed", ANS(.err = JAN_EAWS, .status = 403,
                              .code = "RequestTimeTooSkewed",
                              .have_date = 1, .skew_s = 900,
                              .skew_fixed = 1), AWS_STEP_FAIL },
  { "skew at the bound", ANS(.err = JAN_EAWS, .status = 403,
                             .code = "RequestTimeTooSkewed", .have_date = 1,
                             .skew_s = 900, .clock_off_s = 86400),
    AWS_STEP_FIX_CLOCK },
  { "Date 400 days ahead", ANS(.err = JAN_EAWS, .status = 403,
                               .code = "RequestTimeTooSkewed",
                               .have_date = 1, .skew_s = 34560000,
                               .clock_off_s = 34560000),
    AWS_STEP_SKEW_REFUSED },
  { "Date 200 days behind", ANS(.err = JAN_EAWS, .status = 403,
                                .code = "InvalidSignatureException",
                                .have_date = 1, .skew_s = -17280000,
                                .clock_off_s = -17280000),
    AWS_STEP_SKEW_REFUSED },
  { "just past the bound", ANS(.err = JAN_EAWS, .status = 403,
                               .code = "SignatureDoesNotMatch",
                               .have_date = 1, .skew_s = 300,
                               .clock_off_s = -86401),
    AWS_STEP_SKEW_REFUSED },
  { "skew without a Date", ANS(.err = JAN_EAWS, .status = 403,
                               .code = "RequestTimeTooSkewed",
                               .skew_s = 900), AWS_STEP_FAIL },
  { "S3 301 to another region", ANS(.err = JAN_EAWS, .status = 301,
                                    .code = "PermanentRedirect", .s3 = 1,
                                    .region_hint = "us-west-2",
                                    .region_ok = 1),
    AWS_STEP_FOLLOW_REGION },
  { "S3 400 with <Region>", ANS(.err = JAN_EAWS, .status = 400,
                                .code = "AuthorizationHeaderMalformed",
                                .s3 = 1, .region_hint = "ap-south-1",
                                .region_ok = 1), AWS_STEP_FOLLOW_REGION },
  { "S3 redirect to a refused region", ANS(.err = JAN_EAWS, .status = 301,
                                           .code = "PermanentRedirect",
                                           .s3 = 1,
                                           .region_hint = "evil.example#",
                                           .region_ok = 0), AWS_STEP_FAIL },
  { "S3 redirect followed once", ANS(.err = JAN_EAWS, .status = 301,
                                     .code = "PermanentRedirect", .s3 = 1,
                                     .region_hint = "us-west-2",
                                     .region_ok = 1, .redirected = 1),
    AWS_STEP_FAIL },
  { "S3 redirect not wanted", ANS(.err = JAN_EAWS, .status = 301,
                                  .code = "PermanentRedirect", .s3 = 1,
                                  .region_hint = "us-west-2", .region_ok = 1,
                                  .no_redirect = 1), AWS_STEP_FAIL },
  { "redirect to the same region", ANS(.err = JAN_EAWS, .status = 301,
                                       .code = "PermanentRedirect", .s3 = 1,
                                       .region_hint = "eu-west-1",
                                       .region_ok = 1), AWS_STEP_FAIL },
  { "Lambda never follows", ANS(.err = JAN_EAWS, .status = 400,
                                .code = "ValidationException",
                                .region_hint = "us-west-2",
                                .region_ok = 1), AWS_STEP_FAIL },
  { "expired token", ANS(.err = JAN_EAWS, .status = 400,
                         .code = "ExpiredToken"), AWS_STEP_RENEW_CREDS },
  { "expired token (Lambda)", ANS(.err = JAN_EAWS, .status = 403,
                                  .code = "ExpiredTokenException"),
    AWS_STEP_RENEW_CREDS },
  { "expired again after renewal", ANS(.err = JAN_EAWS, .status = 400,
                                       .code = "ExpiredToken",
                                       .creds_renewed = 1), AWS_STEP_FAIL },
};

static void test_table(void **state)
{
  (void)state;
  for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    struct aws_answer a = rows[i].a;
    enum aws_step got;
    if(!a.code)
      a.code = "";
    if(!a.region)
      a.region = "eu-west-1";
    if(!a.region_hint)
      a.region_hint = "";
    if(!a.attempt)
      a.attempt = 1;
    if(!a.max_attempts)
      a.max_attempts = 3;
    got = aws_decide(&a);
    if(got != rows[i].want)
      fail_msg("%s: %s, want %s", rows[i].what, aws_step_name(got),
               aws_step_name(rows[i].want));
  }
}

static void test_code_classes(void **state)
{
  (void)state;
  assert_true(aws_code_class("SlowDown") & AWS_CODE_THROTTLE);
  assert_true(aws_code_class("InternalError") & AWS_CODE_TRANSIENT);
  assert_true(aws_code_class("AccessDeniedException") & AWS_CODE_DENIED);
  assert_true(aws_code_class("ResourceNotFoundException") &
              AWS_CODE_NOT_FOUND);
  assert_true(aws_code_class("OptInRequired") & AWS_CODE_DISABLED);
  assert_int_equal(aws_code_class(""), 0);
  assert_int_equal(aws_code_class(NULL), 0);
  assert_int_equal(aws_code_class("slowdown"), 0);   /* codes are exact */
  assert_int_equal(aws_code_class("BucketNotEmpty"), AWS_CODE_NOT_EMPTY);
  assert_int_equal(aws_code_class("NoSuchBucket"),
                   AWS_CODE_NOT_FOUND | AWS_CODE_NO_BUCKET);
  assert_int_equal(aws_code_class("NoSuchKey"), AWS_CODE_NOT_FOUND);
  assert_int_equal(aws_code_class("NoSuchWebsiteConfiguration"),
                   AWS_CODE_NO_CONFIG);
  assert_int_equal(aws_code_class("bucketnotempty"), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_table),
    cmocka_unit_test(test_code_classes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
