/*
 * The scope rule (remotion-janitor(8), DESCRIPTION) and the globs of the config, in one place.
 *
 * Every comparison here is on bytes: no locale, no case folding, no Unicode
 * normalisation.  A name with a Cyrillic "о" (D0 BE) where an "o" should be
 * is simply a different byte string and therefore out of scope.
 */
#include <stddef.h>
#include <string.h>

#include "janitor/scope.h"

/*
 * The compiled-in prefixes of each kind.  S3 buckets carry both because
 * Remotion names its buckets "remotionlambda-..." while the permission page
 * the project grew from scopes storage to "remotion-*".
 */
static const char *const bucket_prefixes[] = { "remotion-", "remotionlambda-",
                                               NULL };
static const char *const function_prefixes[] = { "remotion-", NULL };
static const char *const layer_prefixes[] = { "remotion-", NULL };

/*
 * Log groups in scope: "<prefix><name>" where name is in the scope of the
 * kind (Lambda writes a function's logs to "/aws/lambda/<function>").
 * "/aws/lambda-insights", shared by every function using Lambda Insights,
 * has no '/' after "lambda" and is therefore never in scope.
 */
static const struct {
  const char *prefix;
  enum jan_kind kind;
} log_group_scopes[] = {
  { "/aws/lambda/", JAN_KIND_FUNCTION },
};

/* Every prefix of any kind: what an include glob must start with. */
static const char *const any_prefixes[] = { "remotion-", "remotionlambda-",
                                            NULL };

const char *scope_kind_name(enum jan_kind k)
{
  switch(k) {
  case JAN_KIND_BUCKET:
    return "bucket";
  case JAN_KIND_FUNCTION:
    return "function";
  case JAN_KIND_LAYER:
    return "layer";
  case JAN_KIND_RENDER:
    return "render";
  case JAN_KIND_PROPS:
    return "props";
  case JAN_KIND_LOG_GROUP:
    return "log_group";
  case JAN_KIND_N:
    break;
  }
  return "unknown";
}

static const char *const *kind_prefixes(enum jan_kind k)
{
  switch(k) {
  case JAN_KIND_BUCKET:
    return bucket_prefixes;
  case JAN_KIND_FUNCTION:
    return function_prefixes;
  case JAN_KIND_LAYER:
    return layer_prefixes;
  case JAN_KIND_RENDER:         /* no names of their own in the scope */
  case JAN_KIND_PROPS:
  case JAN_KIND_LOG_GROUP:      /* their function's (scope_contains) */
  case JAN_KIND_N:
    return NULL;
  }
  return NULL;
}

/*
 * A name that is exactly a prefix ("remotion-") is out of scope: Remotion
 * never creates one, so such a name can only come from something else (a
 * hand-made resource, a truncated or garbled answer), and the rule is meant
 * to admit Remotion's resources, not everything that happens to begin with
 * the same letters.  At least one byte must follow the prefix.
 */
bool scope_contains(enum jan_kind kind, const char *name)
{
  const char *const *p = kind_prefixes(kind);

  if(kind == JAN_KIND_LOG_GROUP)
    return scope_log_group_contains(name);
  if(!p || !name)
    return false;
  for(; *p; p++) {
    size_t n = strlen(*p);
    if(strncmp(name, *p, n) == 0 && name[n] != '\0')
      return true;
  }
  return false;
}

const char *scope_log_group_owner(const char *group, enum jan_kind *kind)
{
  if(!group)
    return NULL;
  for(size_t i = 0; i < sizeof(log_group_scopes) / sizeof(log_group_scopes[0]);
      i++) {
    size_t n = strlen(log_group_scopes[i].prefix);
    if(strncmp(group, log_group_scopes[i].prefix, n) == 0 &&
       scope_contains(log_group_scopes[i].kind, group + n)) {
      if(kind)
        *kind = log_group_scopes[i].kind;
      return group + n;
    }
  }
  return NULL;
}

const char *scope_log_group_prefix(enum jan_kind kind)
{
  for(size_t i = 0; i < sizeof(log_group_scopes) / sizeof(log_group_scopes[0]);
      i++)
    if(log_group_scopes[i].kind == kind)
      return log_group_scopes[i].prefix;
  return NULL;
}

bool scope_log_group_contains(const char *group)
{
  return scope_log_group_owner(group, NULL) != NULL;
}

/*
 * Match the bracket expression starting at p ('[') against byte c.  On
 * return *len is the length of the whole expression, or 0 when it has no
 * closing ']' (the '[' is then an ordinary character, as in fnmatch).
 */
static bool class_match(const char *p, unsigned char c, size_t *len)
{
  const char *q = p + 1;
  bool negate = false, hit = false, first = true;

  if(*q == '!' || *q == '^') {
    negate = true;
    q++;
  }
  for(;;) {
    unsigned char lo, hi;

    if(*q == '\0') {
      *len = 0;
      return false;
    }
    /* A ']' right after '[' or '[!' is a member, not the end. */
    if(*q == ']' && !first)
      break;
    first = false;
    if(*q == '\\' && q[1] != '\0')
      q++;
    lo = (unsigned char)*q++;
    hi = lo;
    if(*q == '-' && q[1] != ']' && q[1] != '\0') {
      q++;
      if(*q == '\\' && q[1] != '\0')
        q++;
      hi = (unsigned char)*q++;
    }
    if(lo <= c && c <= hi)
      hit = true;
  }
  *len = (size_t)(q + 1 - p);
  return hit != negate;
}

/*
 * Match one pattern element (not '*') at p against byte c; *len is the
 * number of pattern bytes the element takes.
 */
static bool elem_match(const char *p, unsigned char c, size_t *len)
{
  switch(*p) {
  case '?':
    *len = 1;
    return true;
  case '[': {
    bool m = class_match(p, c, len);
    if(*len)
      return m;
    *len = 1;
    return c == '[';
  }
  case '\\':
    /* A trailing backslash stands for itself. */
    if(p[1] == '\0') {
      *len = 1;
      return c == '\\';
    }
    *len = 2;
    return c == (unsigned char)p[1];
  default:
    *len = 1;
    return c == (unsigned char)*p;
  }
}

/*
 * The usual two-pointer algorithm: remember the last '*' and the name
 * position it was tried at; on a mismatch let that star take one more byte.
 * Only the last star ever needs to be revisited (an earlier one could only
 * take bytes the later one can take as well), so the cost is bounded by
 * the product of the lengths instead of growing exponentially with the
 * number of stars.
 */
bool scope_glob_match(const char *glob, const char *name)
{
  const char *p, *n, *star_p = NULL, *star_n = NULL;

  if(!glob || !name)
    return false;
  p = glob;
  n = name;
  while(*n) {
    size_t len;

    if(*p == '*') {
      while(*p == '*')
        p++;
      if(*p == '\0')
        return true;
      star_p = p;
      star_n = n;
      continue;
    }
    if(*p && elem_match(p, (unsigned char)*n, &len)) {
      p += len;
      n++;
      continue;
    }
    if(!star_p)
      return false;
    p = star_p;
    n = ++star_n;
  }
  while(*p == '*')
    p++;
  return *p == '\0';
}

/*
 * Does the literal text at the start of glob (escapes resolved, up to the
 * first '*', '?' or '[') begin with prefix?  '[' counts as a metacharacter
 * even when it has no ']', which only makes the check stricter.
 */
static bool literal_starts_with(const char *glob, const char *prefix)
{
  const char *g = glob;
  const char *x = prefix;

  while(*x) {
    char c;

    if(*g == '\0' || *g == '*' || *g == '?' || *g == '[')
      return false;
    if(*g == '\\' && g[1] != '\0')
      g++;
    c = *g++;
    if(c != *x++)
      return false;
  }
  return true;
}

bool scope_glob_narrows(const char *glob)
{
  const char *const *p;

  if(!glob)
    return false;
  for(p = any_prefixes; *p; p++)
    if(literal_starts_with(glob, *p))
      return true;
  return false;
}
