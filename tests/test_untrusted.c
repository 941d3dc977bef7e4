/*
 * Server text is untrusted output: untrusted_text() redacts credentials,
 * tokens, signatures and request echoes, escapes control characters and
 * caps; untrusted_region() accepts only the shape of an AWS region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/aws.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"

/* Shaped like real STS session tokens and SigV4 material (made up). */
#define TOKEN "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDtestTOKENnotREAL" \
              "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX" \
              "YZ+/0123456789abcdefghijKLMNOPQRSTUVWXyz0123456789+/FAKEtoken=="
#define SIG "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
#define AKID "ASIAQWERTYUIOPASDFGH"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

static const char *const leaks[] = { TOKEN, SIG, AKID, SECRET,
                                     "IQoJb3JpZ2luX2Vj", "5d672d79c15b1316" };

static void assert_clean(const char *s)
{
  for(size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
    if(strstr(s, leaks[i]))
      fail_msg("leaked '%s' in: %s", leaks[i], s);
  for(const unsigned char *p = (const unsigned char *)s; *p; p++)
    assert_true(*p >= 0x20 && *p != 0x7f);
}

/* What S3 answers to a bad signature, echoing what it signed. */
static const char signature_error[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>SignatureDoesNotMatch</Code>"
    "<Message>The request signature we calculated does not match the "
    "signature you provided. Check your key and signing method. "
    "Canonical request: GET\n/\nlist-type=2&amp;prefix=\n"
    "host:remotion-x.s3.eu-west-1.amazonaws.com\n"
    "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20250101T000000Z\n"
    "x-amz-security-token:" TOKEN "\n\n"
    "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
    "UNSIGNED-PAYLOAD "
    "StringToSign: AWS4-HMAC-SHA256\n20250101T000000Z\n"
    "20250101/eu-west-1/s3/aws4_request\n"
    "9b1c6e03b3a9b4c1d0d2f0e34b8f1c2f6a7e9d0c1b2a3f4e5d6c7b8a9f0e1d2c"
    " Authorization: AWS4-HMAC-SHA256 Credential=" AKID "/20250101/eu-west-1"
    "/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" SIG
    " X-Amz-Security-Token=" TOKEN "&amp;X-Amz-Signature=" SIG
    " secret " SECRET "</Message>"
    "<AWSAccessKeyId>" AKID "</AWSAccessKeyId>"
    "<StringToSign>AWS4-HMAC-SHA256\n20250101T000000Z\n"
    "20250101/eu-west-1/s3/aws4_request\n"
    "9b1c6e03b3a9b4c1d0d2f0e34b8f1c2f6a7e9d0c1b2a3f4e5d6c7b8a9f0e1d2c"
    "</StringToSign>"
    "<SignatureProvided>" SIG "</SignatureProvided>"
    "<CanonicalRequest>GET\n/\n\nhost:s3.amazonaws.com\n"
    "x-amz-security-token:" TOKEN "\n</CanonicalRequest>"
    "<RequestId>4442587FB7D0A2F9</RequestId>"
    "<HostId>" TOKEN "</HostId></Error>";

static void test_signature_error_redacted(void **state)
{
  struct wire_error e;
  (void)state;
  assert_int_equal(wire_parse_error_xml(signature_error,
                                        sizeof(signature_error) - 1, &e), 0);
  assert_string_equal(e.code, "SignatureDoesNotMatch");
  assert_string_equal(e.request_id, "4442587FB7D0A2F9");
  assert_clean(e.code);
  assert_clean(e.message);
  assert_clean(e.request_id);
  /* What a user needs is still there. */
  assert_non_null(strstr(e.message, "does not match the signature"));
  assert_non_null(strstr(e.message, "x-amz-security-token:[REDACTED]"));
  /* Newlines are escaped, not kept: one message is one line. */
  assert_non_null(strstr(e.message, "GET\\x0a/\\x0a"));
}

static void test_signature_error_whole(void **state)
{
  char out[8192];
  (void)state;
  untrusted_text(out, sizeof(out), signature_error, sizeof(signature_error) - 1);
  assert_clean(out);
  assert_non_null(strstr(out, "Signature=[REDACTED]"));
  assert_non_null(strstr(out, "Credential=[REDACTED]"));
  assert_non_null(strstr(out, "X-Amz-Security-Token=[REDACTED]"));
  assert_non_null(strstr(out, "<AWSAccessKeyId>[REDACTED]</AWSAccessKeyId>"));
  assert_non_null(strstr(out, "<SignatureProvided>[REDACTED]<"));
  assert_non_null(strstr(out, "Authorization: [REDACTED] Credential="));
  assert_non_null(strstr(out, "<RequestId>4442587FB7D0A2F9</RequestId>"));
  /* The rest of a line that starts with the algorithm goes too. */
  untrusted_text(out, sizeof(out), "AWS4-HMAC-SHA256 Credential=x/y, "
                 "SignedHeaders=host, Signature=abc\nnext", 71);
  assert_string_equal(out, "AWS4-HMAC-SHA256 [REDACTED]\\x0anext");
}

/* A token cut by the cap must not leave its first half behind: redaction
 * runs on the whole text before the cut. */
static void test_cap_never_halves_a_token(void **state)
{
  char out[64];
  const char in[] = "x-amz-security-token " TOKEN " tail";
  (void)state;
  for(size_t cap = 1; cap <= sizeof(out); cap++) {
    size_t n = untrusted_text(out, cap, in, sizeof(in) - 1);
    assert_int_equal(n, strlen(out));
    assert_true(n < cap);
    assert_null(strstr(out, "IQoJ"));
  }
  untrusted_text(out, 30, "0123456789 0123456789 0123456789", 32);
  assert_string_equal(out, "0123456789 0123456789 0123...");
}

static void test_escapes(void **state)
{
  char out[256];
  const char in[] = "a\x1b[31mred\r\nb\\c\x7f\xff\xc2\x9b" "d\xe2\x80\xae" "e"
                    "\xc3\xa9\xe2\x82\xac";
  (void)state;
  untrusted_text(out, sizeof(out), in, sizeof(in) - 1);
  assert_string_equal(out, "a\\x1b[31mred\\x0d\\x0ab\\x5cc\\x7f\\xff\\xc2\\x9b"
                           "d\\xe2\\x80\\xae" "e\xc3\xa9\xe2\x82\xac");
  /* An escape is never cut in the middle. */
  untrusted_text(out, 8, "ab\n\n\n\n", 6);
  assert_string_equal(out, "ab...");
  /* A NUL inside the text is escaped too. */
  untrusted_text(out, sizeof(out), "a\0b", 3);
  assert_string_equal(out, "a\\x00b");
}

static void test_keeps_ordinary_text(void **state)
{
  static const char *const same[] = {
    "ProvisionedThroughputExceededException",
    "User: arn:aws:iam::123456789012:user/remotion-user is not authorized "
    "to perform: lambda:ListFunctions",
    "6bd2a5b3-0a3b-4c5e-8f9e-1234567890ab",
    "The bucket you are attempting to access must be addressed using the "
    "specified endpoint.",
    "remotionlambda-useast1-abcdefghij",
    "\xe6\x97\xa5\xe6\x9c\xac",
  };
  char out[512];
  (void)state;
  for(size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
    untrusted_text(out, sizeof(out), same[i], strlen(same[i]));
    assert_string_equal(out, same[i]);
  }
  /* Hex and base64 runs at the threshold: 31 kept, 32 redacted. */
  untrusted_text(out, sizeof(out), "a123456789012345678901234567890", 31);
  assert_string_equal(out, "a123456789012345678901234567890");
  untrusted_text(out, sizeof(out), "a1234567890123456789012345678901", 32);
  assert_string_equal(out, "[REDACTED]");
  untrusted_text(out, sizeof(out), "key AKIAIOSFODNN7EXAMPLE.", 25);
  assert_string_equal(out, "key [REDACTED].");
}

static void test_region_shape(void **state)
{
  static const char *const good[] = {
    "us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1",
    "us-iso-east-1", "us-isob-east-1", "il-central-1", "me-south-1",
    "eu-central-12"
  };
  static const char *const bad[] = {
    "", "EU", "us-east", "us-east-1.attacker.example", "evil.example#",
    "../x", "us-east-1/", "US-EAST-1", "us-east-123", "us-east-1 ",
    "us--1", "u-east-1", "use-east-1", "us-east-1-", "us-foo-east-1",
    "us-gov-west-1-x", "us-east-1\n", "us-east-1#", "us-east-a",
    "us-east1-1", "xx-yyyyyyyyyyyyyyyyyyyyyyyyyyy-1"
  };
  (void)state;
  for(size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    if(!untrusted_region(good[i], strlen(good[i])))
      fail_msg("refused %s", good[i]);
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if(untrusted_region(bad[i], strlen(bad[i])))
      fail_msg("accepted %s", bad[i]);
  /* A NUL inside: the length counts, not the C string. */
  assert_false(untrusted_region("us-east-1\0x", 11));
}

/* An error chain is readable in full: every field at its longest still
 * fits in AWS_DESCRIBE_MAX, its end included. */
static void test_describe_error_whole(void **state)
{
  static struct aws_response r;
  static char out[AWS_DESCRIBE_MAX];
  (void)state;
  memset(&r, 0, sizeof(r));
  r.err = JAN_EAWS;
  r.status = 400;
  r.attempts = 5;
  memset(r.e.code, 'C', sizeof(r.e.code) - 1);
  memset(r.e.message, 'm', sizeof(r.e.message) - 1);
  memset(r.request_id, 'r', sizeof(r.request_id) - 1);
  memset(r.errmsg, 'e', sizeof(r.errmsg) - 1);
  memset(r.region, 'g', sizeof(r.region) - 1);
  aws_describe_error(&r, "ListObjectVersions", out, sizeof(out));
  assert_true(strlen(out) < sizeof(out) - 1);
  assert_non_null(strstr(out, "eeee (HTTP 400, request id rrrr"));
  assert_string_equal(out + strlen(out) - 13, ", 5 attempts)");
}

/* Known secrets (a credential_process's keys, an external id) are
 * masked however the text spells them, and when it was cut inside one. */
static void test_mask_known(void **state)
{
  static const char *const known[] = { "corp:ext/id@0042", "sk/short+1",
                                        NULL, "" };
  static const struct {
    const char *in, *want;
  } cases[] = {
    { "ExternalId=corp:ext/id@0042&x", "ExternalId=[REDACTED]&x" },
    { "ExternalId=corp%3Aext%2Fid%400042&x", "ExternalId=[REDACTED]&x" },
    { "id corp%3aext%2fid%400042.", "id [REDACTED]." },
    { "{\"SecretAccessKey\": \"sk\\/short+1\"}",
      "{\"SecretAccessKey\": \"[REDACTED]\"}" },
    { "twice sk/short+1 sk/short+1", "twice [REDACTED] [REDACTED]" },
    /* Cut off inside a secret: the prefix left goes too. */
    { "echo corp:ext/i", "echo [REDACTED]" },
    { "echo corp:ext/i... (HTTP 403)", "echo [REDACTED]... (HTTP 403)" },
    /* Too short a prefix, or one that goes on with other text: kept. */
    { "the cor", "the cor" },
    { "corp:ext/other", "corp:ext/other" },
    { "plain text", "plain text" },
    { "", "" },
  };
  char out[256];
  (void)state;
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t n = untrusted_mask_known(out, sizeof(out), cases[i].in,
                                    strlen(cases[i].in), known, 4);
    assert_string_equal(out, cases[i].want);
    assert_int_equal(n, strlen(cases[i].want));
  }
  /* No secrets: a copy.  Too small: cut with the mark. */
  untrusted_mask_known(out, sizeof(out), "a sk/short+1", 12, NULL, 0);
  assert_string_equal(out, "a sk/short+1");
  untrusted_mask_known(out, 9, "a sk/short+1", 12, known, 2);
  assert_string_equal(out, "a ...");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signature_error_redacted),
    cmocka_unit_test(test_signature_error_whole),
    cmocka_unit_test(test_cap_never_halves_a_token),
    cmocka_unit_test(test_escapes),
    cmocka_unit_test(test_keeps_ordinary_text),
    cmocka_unit_test(test_region_shape),
    cmocka_unit_test(test_describe_error_whole),
    cmocka_unit_test(test_mask_known),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
