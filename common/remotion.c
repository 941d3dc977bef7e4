/*
 * Parsing Remotion's render function names (see remotion.h for the rule).
 */
#include <string.h>

#include "janitor/err.h"
#include "janitor/remotion.h"

#define FN_PREFIX "remotion-render-"

/* A decimal of 1..5 digits without leading zero within [lo, hi] at *p;
 * advances *p. */
static int number(const char **p, unsigned lo, unsigned hi, unsigned *out)
{
  const char *s = *p;
  unsigned v = 0;
  int n = 0;

  if(*s < '1' || *s > '9')
    return 0;
  while(*s >= '0' && *s <= '9') {
    if(++n > 5)
      return 0;
    v = v * 10 + (unsigned)(*s - '0');
    s++;
  }
  if(v < lo || v > hi)
    return 0;
  *p = s;
  *out = v;
  return 1;
}

static int literal(const char **p, const char *lit)
{
  size_t n = strlen(lit);
  if(strncmp(*p, lit, n) != 0)
    return 0;
  *p += n;
  return 1;
}

/* Render the version part (see remotion.h); 0 when it is not one. */
static int render_version(const char *v, size_t len, char out[32])
{
  size_t i = 0, o = 0;

  if(len < 1 || len > 31)
    return 0;
  for(size_t k = 0; k < len; k++) {
    char c = v[k];
    if(!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-'))
      return 0;
  }
  /* Three groups of digits: major, minor, patch. */
  for(int g = 0; g < 3; g++) {
    size_t start = i;
    while(i < len && v[i] >= '0' && v[i] <= '9')
      out[o++] = v[i++];
    if(i == start)
      return 0;
    if(g < 2) {
      if(i == len || v[i] != '-')
        return 0;
      out[o++] = '.';
      i++;
    }
  }
  /* The rest starts with a separator and is kept as it is. */
  if(i < len && v[i] != '-')
    return 0;
  while(i < len)
    out[o++] = v[i++];
  out[o] = '\0';
  return 1;
}

int remotion_parse_function_name(const char *name, struct remotion_fn *out)
{
  const char *rest, *mem = NULL, *p;
  struct remotion_fn r;

  memset(out, 0, sizeof(*out));
  if(!name || strncmp(name, FN_PREFIX, sizeof(FN_PREFIX) - 1) != 0)
    return JAN_EPARSE;
  rest = name + sizeof(FN_PREFIX) - 1;
  /* The suffix holds no "-mem" of its own: the last one splits. */
  for(p = rest; (p = strstr(p, "-mem")) != NULL; p++)
    mem = p;
  if(!mem)
    return JAN_EPARSE;
  memset(&r, 0, sizeof(r));
  p = mem;
  if(!literal(&p, "-mem") || !number(&p, 128, 10240, &r.memory_mb) ||
     !literal(&p, "mb-disk") || !number(&p, 512, 10240, &r.disk_mb) ||
     !literal(&p, "mb-") || !number(&p, 1, 900, &r.timeout_s) ||
     !literal(&p, "sec") || *p != '\0')
    return JAN_EPARSE;
  if(!render_version(rest, (size_t)(mem - rest), r.version))
    return JAN_EPARSE;
  *out = r;
  return JAN_OK;
}
