/*
 * Timestamps: wire_time_parse() on the input as a C string, and the
 * format → parse round trip on the first 8 bytes read as a time.
 */
#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/wire.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what format clamps to. */
#define T_LO (-62167219200LL)
#define T_HI 253402300799LL

static void parse_checks(const char *s)
{
  int64_t t = 12345;
  char out[21], canon[64];
  size_t n = strlen(s), k;
  int rc = wire_time_parse(s, &t);

  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EPARSE);
  if(rc)
    return;
  /* YYYY-MM-DDTHH:MM:SS, fraction of at most 9 digits, zone of at most 6. */
  FUZZ_CHECK(n >= 20 && n <= 19 + 10 + 6);
  /* Within the years the format can show, give or take the offset. */
  FUZZ_CHECK(t >= T_LO - 86400 && t <= T_HI + 86400);

  /* A Z time formats back to itself, less the (truncated) fraction. */
  if(s[n - 1] == 'Z') {
    k = 0;
    for(size_t i = 0; i < n && k < sizeof(canon) - 1; i++) {
      if(i == 19 && s[i] == '.') {
        while(s[i + 1] >= '0' && s[i + 1] <= '9')
          i++;
        continue;
      }
      canon[k++] = s[i];
    }
    canon[k] = '\0';
    wire_time_format(t, out);
    FUZZ_CHECK(strcmp(out, canon) == 0);
  }
  /* Any time that the format can show parses back to the same second. */
  if(t >= T_LO && t <= T_HI) {
    int64_t back = 0;
    wire_time_format(t, out);
    FUZZ_CHECK(wire_time_parse(out, &back) == JAN_OK);
    FUZZ_CHECK(back == t);
  }
}

static void format_checks(const uint8_t *data, size_t size)
{
  uint64_t u = 0;
  int64_t t, back = 0, want;
  char out[21];

  if(size < 8)
    return;
  for(int i = 0; i < 8; i++)
    u = u << 8 | data[i];
  t = (int64_t)u;
  wire_time_format(t, out);
  FUZZ_CHECK(strlen(out) == 20 && out[19] == 'Z');
  FUZZ_CHECK(wire_time_parse(out, &back) == JAN_OK);
  want = t < T_LO ? T_LO : t > T_HI ? T_HI : t;
  FUZZ_CHECK(back == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_cstr(data, size);

  parse_checks(s);
  format_checks(data, size);
  free(s);
  return 0;
}
