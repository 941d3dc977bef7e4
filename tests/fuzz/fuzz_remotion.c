/*
 * Remotion's render-function names.  A name that parses is in the function
 * scope, its fields are in range, and the name can be rebuilt exactly from
 * them (the parse loses nothing and invents nothing).
 */
#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/remotion.h"
#include "janitor/scope.h"

static int is_zero(const struct remotion_fn *f)
{
  static const struct remotion_fn zero;
  return memcmp(f, &zero, sizeof(zero)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *name = fuzz_cstr(data, size);
  struct remotion_fn f;
  char ver[32], rebuilt[128];
  int rc, dots = 0;

  memset(&f, 0x55, sizeof(f));
  rc = remotion_parse_function_name(name, &f);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EPARSE);
  if(rc) {
    FUZZ_CHECK(is_zero(&f));
    free(name);
    return 0;
  }
  FUZZ_CHECK(scope_contains(JAN_KIND_FUNCTION, name));
  FUZZ_CHECK(f.memory_mb >= 128 && f.memory_mb <= 10240);
  FUZZ_CHECK(f.disk_mb >= 512 && f.disk_mb <= 10240);
  FUZZ_CHECK(f.timeout_s >= 1 && f.timeout_s <= 900);
  FUZZ_CHECK(FUZZ_FIELD_OK(f.version));
  FUZZ_CHECK(f.version[0] >= '0' && f.version[0] <= '9');

  /* major.minor.patch, then the rest as it was: the first two '.' were
   * '-' in the name, and there is no other '.'. */
  memcpy(ver, f.version, sizeof(ver));
  for(char *p = ver; *p; p++) {
    if(*p == '.') {
      FUZZ_CHECK(++dots <= 2);
      *p = '-';
    }
    else {
      FUZZ_CHECK((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                 *p == '-');
    }
  }
  FUZZ_CHECK(dots == 2);
  snprintf(rebuilt, sizeof(rebuilt),
           "remotion-render-%s-mem%umb-disk%umb-%usec", ver, f.memory_mb,
           f.disk_mb, f.timeout_s);
  FUZZ_CHECK(strcmp(rebuilt, name) == 0);
  free(name);
  return 0;
}
