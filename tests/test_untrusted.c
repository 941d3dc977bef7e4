/*
 * Server text is untrusted output: untrusted_text() redacts credentials,
 * tokens, signatures and request echoes, escapes control characters and
 * caps; untrusted_region() accepts only the shape of an AWS region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

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


/* The display rule, case by case: what a render id or a key becomes on a
 * terminal (untrusted_display) and in a line (untrusted_display_line). */
static const struct {
  const char *what, *in;
  size_t len;                   /* 0: strlen(in) */
  const char *value, *line;     /* line NULL: same as value */
} display_cases[] = {
  { "plain", "k3j9x0a1bq", 0, "k3j9x0a1bq", NULL },
  { "ESC colour", "a\x1b[31mred", 0, "a\\x1b[31mred", NULL },
  { "CSI 8-bit (C1 U+009B)", "a\xc2\x9b" "2J", 0, "a\\xc2\\x9b2J", NULL },
  { "OSC title, BEL", "\x1b]0;pwned\x07x", 0, "\\x1b]0;pwned\\x07x", NULL },
  { "OSC 8 hyperlink, ST", "\x1b]8;;http://e/\x1b\\t", 0,
    "\\x1b]8;;http://e/\\x1b\\x5ct", "\\x1b]8;;http://e/\\x1b\\t" },
  { "newline forging a row", "ab\nfunction      eu-west-1  x", 0,
    "ab\\x0afunction      eu-west-1  x", NULL },
  { "CR, tab, DEL, NUL", "a\r\tb\x7f" "c\0d", 8, "a\\x0d\\x09b\\x7fc\\x00d",
    NULL },
  { "RLO U+202E", "abc\xe2\x80\xae" "fdp.exe", 0,
    "abc\\xe2\\x80\\xaefdp.exe", NULL },
  { "LRI U+2066 .. PDI U+2069", "\xe2\x81\xa6" "x\xe2\x81\xa9", 0,
    "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9", NULL },
  { "LRM, RLM, ALM", "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0,
    "\\xe2\\x80\\x8e\\xe2\\x80\\x8f\\xd8\\x9c", NULL },
  { "line separator U+2028", "a\xe2\x80\xa8" "b", 0, "a\\xe2\\x80\\xa8b",
    NULL },
  { "lone continuation, 0xff", "\x80\xff", 0, "\\x80\\xff", NULL },
  { "overlong '/' (C0 AF)", "\xc0\xaf", 0, "\\xc0\\xaf", NULL },
  { "overlong 3 bytes", "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf", NULL },
  { "surrogate U+D800 in UTF-8", "\xed\xa0\x80", 0, "\\xed\\xa0\\x80",
    NULL },
  { "above U+10FFFF", "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80", NULL },
  { "truncated at the end", "ok\xe2\x82", 0, "ok\\xe2\\x82", NULL },
  { "truncated before ASCII", "\xe2\x82x", 0, "\\xe2\\x82x", NULL },
  { "valid multibyte kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac "
    "\xe6\x97\xa5", 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac "
    "\xe6\x97\xa5", NULL },
  { "ZWJ and U+00A0 kept", "\xe2\x80\x8d\xc2\xa0", 0,
    "\xe2\x80\x8d\xc2\xa0", NULL },
  { "backslash", "a\\x1b", 0, "a\\x5cx1b", "a\\x1b" },
};

static void test_display_cases(void **state)
{
  char out[256];
  (void)state;
  for(size_t i = 0; i < sizeof(display_cases) / sizeof(*display_cases);
      i++) {
    const char *in = display_cases[i].in;
    size_t len = display_cases[i].len ? display_cases[i].len : strlen(in);
    const char *line = display_cases[i].line ? display_cases[i].line
                                             : display_cases[i].value;
    untrusted_display(out, sizeof(out), in, len);
    if(strcmp(out, display_cases[i].value))
      fail_msg("%s: value '%s'", display_cases[i].what, out);
    assert_int_equal(untrusted_utf8_span(out, strlen(out)), strlen(out));
    untrusted_display_line(out, sizeof(out), in, len);
    if(strcmp(out, line))
      fail_msg("%s: line '%s'", display_cases[i].what, out);
  }
}

/* 4 * len + 1 always fits; a cut keeps whole escapes and characters. */
static void test_display_fits_and_cuts(void **state)
{
  char out[4 * 4 + 1];
  (void)state;
  assert_int_equal(untrusted_display(out, sizeof(out), "\x1b\x1b\x1b\x1b", 4),
                   16);
  untrusted_display(out, 10, "\x1b\x1b\x1b\x1b", 4);
  assert_string_equal(out, "\\x1b...");
  untrusted_display(out, 9, "ab\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10);
  assert_string_equal(out, "ab\xc3\xa9...");
  assert_int_equal(untrusted_display(out, 0, "x", 1), 0);
}

/* A whole line: values escaped, one final newline kept. */
static void test_fprintf_line(void **state)
{
  char buf[256];
  FILE *f = tmpfile();
  size_t n;
  (void)state;
  assert_non_null(f);
  assert_int_equal(untrusted_fprintf(f, "deleted %s in %s\n",
                                     "r/\x1b[2J\n\xe2\x80\xae\xff",
                                     "eu-west-1"), 51);
  untrusted_fprintf(f, "%s", "no newline\n\n");
  rewind(f);
  n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = '\0';
  fclose(f);
  assert_string_equal(buf, "deleted r/\\x1b[2J\\x0a\\xe2\\x80\\xae\\xff in "
                           "eu-west-1\nno newline\\x0a\n");
}

/* The inverse of the JSON rule, as a reader applies it (Python's
 * surrogateescape): \udcXX, XX >= 80, back to the byte. */
static size_t json_bytes(const char *s, size_t n, char *out)
{
  size_t o = 0;
  for(size_t i = 0; i < n; i++) {
    unsigned v;
    if(s[i] == '\\' && i + 5 < n && !strncmp(s + i + 1, "udc", 3) &&
       sscanf(s + i + 4, "%2x", &v) == 1 && v >= 0x80) {
      out[o++] = (char)v;
      i += 5;
    }
    else {
      out[o++] = s[i];
    }
  }
  return o;
}

static void test_json_surrogateescape(void **state)
{
  static const struct { const char *in, *json; } cases[] = {
    { "k3j9x0a1bq", "k3j9x0a1bq" },
    { "caf\xc3\xa9\xe2\x80\xae", "caf\xc3\xa9\xe2\x80\xae" },
    { "a\xff" "b", "a\\udcffb" },
    { "\xc0\xaf", "\\udcc0\\udcaf" },
    { "\xed\xa0\x80", "\\udced\\udca0\\udc80" },
    { "x\xe2\x82", "x\\udce2\\udc82" },
    { "\xf0\x9f\x8e\xac\x80", "\xf0\x9f\x8e\xac\\udc80" },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    struct jbuf b;
    char back[64];
    size_t n;
    jbuf_init(&b, 256);
    assert_int_equal(untrusted_json_add(&b, cases[i].in,
                                        strlen(cases[i].in)), JAN_OK);
    assert_string_equal(jbuf_str(&b), cases[i].json);
    assert_int_equal(untrusted_utf8_span(b.ptr, b.len), b.len);
    n = json_bytes(b.ptr, b.len, back);
    assert_int_equal(n, strlen(cases[i].in));
    assert_memory_equal(back, cases[i].in, n);
    jbuf_free(&b);
  }
}

/* Through json-c: a key with every kind of byte, as --json prints it. */
static void test_json_document(void **state)
{
  static const char key[] = "r\n\x1b[1m\xe2\x80\xae\xff\xc3\xa9\"\\";
  struct json_object *o = json_object_new_object();
  const char *text;
  struct jbuf b;
  (void)state;
  json_object_object_add(o, "name", json_object_new_string(key));
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE);
  jbuf_init(&b, 1024);
  assert_int_equal(untrusted_json_add(&b, text, strlen(text)), JAN_OK);
  assert_string_equal(jbuf_str(&b), "{\"name\":\"r\\n\\u001b[1m\xe2\x80\xae"
                                    "\\udcff\xc3\xa9\\\"\\\\\"}");
  for(size_t i = 0; i < b.len; i++)
    assert_true((unsigned char)b.ptr[i] >= 0x20);
  /* The reader's inverse: json-c's text again, which it reads exactly. */
  assert_int_equal(untrusted_json_bytes(b.ptr), strlen(text));
  assert_string_equal(b.ptr, text);
  jbuf_free(&b);
  json_object_put(o);
}

/* The inverse leaves alone what is not a lone \udcXX inside a string. */
static void test_json_bytes_inverse(void **state)
{
  static const struct { const char *in, *out; } cases[] = {
    { "{\"a\":\"x\\udcff\"}", "{\"a\":\"x\xff\"}" },
    { "[\"\\udc7f\\udc80\\uDCFF\"]", "[\"\\udc7f\x80\xff\"]" },
    /* An escaped backslash then text that looks like an escape. */
    { "\"\\\\udcff\"", "\"\\\\udcff\"" },
    /* A pair is a character (U+1F480), not two bytes. */
    { "\"\\ud83d\\udc80\"", "\"\\ud83d\\udc80\"" },
    /* Outside a string nothing changes; a truncated escape stays. */
    { "\\udcff \"\\udcf", "\\udcff \"\\udcf" },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", cases[i].in);
    assert_int_equal(untrusted_json_bytes(buf), strlen(cases[i].out));
    assert_string_equal(buf, cases[i].out);
  }
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
    cmocka_unit_test(test_display_cases),
    cmocka_unit_test(test_display_fits_and_cuts),
    cmocka_unit_test(test_fprintf_line),
    cmocka_unit_test(test_json_surrogateescape),
    cmocka_unit_test(test_json_document),
    cmocka_unit_test(test_json_bytes_inverse),
    cmocka_unit_test(test_mask_known),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
