/*
 * The scope rule and the config globs.  The input is "GLOB\0TAIL": the
 * glob, and a tail from which names are built (the tail alone, the glob's
 * literal prefix + tail, and the glob instantiated with the tail).
 *
 * Invariants:
 * - a glob that narrows matches only names that begin with a scope prefix:
 *   in scope for some kind, or (the one exception) a bare prefix such as
 *   "remotion-", which "remotion-*" matches and scope_contains() refuses;
 * - a glob without metacharacters matches exactly itself;
 * - on globs without '[' (where fnmatch(3) and ours agree by definition),
 *   scope_glob_match() agrees with fnmatch(pattern, name, 0) in the C
 *   locale;
 * - scope_contains() is exactly "a prefix of the kind, then at least one
 *   byte";
 * - a log group is in scope exactly when it is "/aws/lambda/" and a
 *   function name in scope, its owner is that name, and it starts with
 *   SCOPE_LOG_GROUP_PREFIX (what the listing asks for).
 */
#include <fnmatch.h>
#include <locale.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/scope.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  setlocale(LC_ALL, "C");
  return 0;
}

static bool starts(const char *s, const char *p)
{
  return strncmp(s, p, strlen(p)) == 0;
}

static bool any_kind(const char *name)
{
  return scope_contains(JAN_KIND_BUCKET, name) ||
         scope_contains(JAN_KIND_FUNCTION, name) ||
         scope_contains(JAN_KIND_LAYER, name);
}

static void log_group_checks(const char *name)
{
  bool lg = starts(name, "/aws/lambda/") &&
            scope_contains(JAN_KIND_FUNCTION, name + 12);
  enum jan_kind k = JAN_KIND_BUCKET;
  const char *owner = scope_log_group_owner(name, &k);

  FUZZ_CHECK(scope_log_group_contains(name) == lg);
  FUZZ_CHECK(lg ? owner == name + 12 && k == JAN_KIND_FUNCTION
                : owner == NULL);
  if(lg)
    FUZZ_CHECK(starts(name, SCOPE_LOG_GROUP_PREFIX) &&
               strlen(name) > strlen(SCOPE_LOG_GROUP_PREFIX));
  /* The group of any function in scope is in scope. */
  if(scope_contains(JAN_KIND_FUNCTION, name) && strlen(name) < 4096) {
    char g[4096 + 16];
    snprintf(g, sizeof(g), "/aws/lambda/%s", name);
    FUZZ_CHECK(scope_log_group_contains(g));
  }
}

static void contains_checks(const char *name)
{
  bool r = starts(name, "remotion-") && name[9] != '\0';
  bool rl = starts(name, "remotionlambda-") && name[15] != '\0';

  FUZZ_CHECK(scope_contains(JAN_KIND_FUNCTION, name) == r);
  FUZZ_CHECK(scope_contains(JAN_KIND_LAYER, name) == r);
  FUZZ_CHECK(scope_contains(JAN_KIND_BUCKET, name) == (r || rl));
  FUZZ_CHECK(!scope_contains((enum jan_kind)7, name));
  log_group_checks(name);
}

/* The glob's literal text before the first metacharacter, escapes
 * resolved. */
static void literal_prefix(const char *g, struct jbuf *out)
{
  for(; *g && *g != '*' && *g != '?' && *g != '['; g++) {
    if(*g == '\\' && g[1])
      g++;
    FUZZ_CHECK(jbuf_addc(out, *g) == JAN_OK);
  }
}

/* A name the glob should match: literals kept, '*' → tail, '?' → a tail
 * byte, a class → its first member. */
static void instantiate(const char *g, const char *tail, struct jbuf *out)
{
  size_t t = 0;

  while(*g) {
    char c = *g;
    if(c == '*') {
      FUZZ_CHECK(jbuf_addstr(out, tail) == JAN_OK);
      g++;
      continue;
    }
    if(c == '?') {
      FUZZ_CHECK(jbuf_addc(out, tail[t] ? tail[t++] : 'x') == JAN_OK);
      g++;
      continue;
    }
    if(c == '[' && g[1] && g[1] != '!' && g[1] != '^' && g[1] != '\\' &&
       strchr(g + 2, ']')) {
      FUZZ_CHECK(jbuf_addc(out, g[1]) == JAN_OK);
      g = strchr(g + 2, ']') + 1;
      continue;
    }
    if(c == '\\' && g[1])
      g++;
    FUZZ_CHECK(jbuf_addc(out, *g) == JAN_OK);
    g++;
  }
}

static size_t stars(const char *g)
{
  size_t n = 0;
  for(; *g; g++)
    n += *g == '*';
  return n;
}

static void narrow_check(const char *glob, const char *name)
{
  if(!scope_glob_match(glob, name))
    return;
  FUZZ_CHECK(any_kind(name) || !strcmp(name, "remotion-") ||
             !strcmp(name, "remotionlambda-"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = fuzz_cstr(data, size);
  const char *glob = buf;
  size_t glen = strlen(glob);
  const char *tail = glen < size ? buf + glen + 1 : "";
  struct jbuf lit, inst, cat;
  bool narrows, meta;
  int fm;

  jbuf_init(&lit, 1u << 20);
  jbuf_init(&inst, 1u << 24);
  jbuf_init(&cat, 1u << 20);

  contains_checks(glob);
  contains_checks(tail);

  literal_prefix(glob, &lit);
  instantiate(glob, tail, &inst);
  FUZZ_CHECK(jbuf_add(&cat, lit.ptr, lit.len) == JAN_OK);
  FUZZ_CHECK(jbuf_addstr(&cat, tail) == JAN_OK);

  /* narrows ⇔ the literal prefix starts with a scope prefix. */
  narrows = scope_glob_narrows(glob);
  FUZZ_CHECK(narrows == (starts(jbuf_str(&lit), "remotion-") ||
                         starts(jbuf_str(&lit), "remotionlambda-")));
  if(narrows) {
    narrow_check(glob, tail);
    narrow_check(glob, jbuf_str(&cat));
    narrow_check(glob, jbuf_str(&inst));
  }

  meta = strpbrk(glob, "*?[\\") != NULL;
  if(!meta) {
    FUZZ_CHECK(scope_glob_match(glob, glob));
    FUZZ_CHECK(scope_glob_match(glob, tail) == (strcmp(glob, tail) == 0));
  }
  /* A glob matches what it was instantiated into, when no class or
   * escape made the instance ambiguous. */
  if(!strpbrk(glob, "[\\"))
    FUZZ_CHECK(scope_glob_match(glob, jbuf_str(&inst)));

  /* Against glibc's fnmatch on the syntax both define the same way: no
   * brackets, no lone backslash at the end (fnmatch fails it, ours takes
   * it literally).  glibc backtracks over every '*', so long names only
   * go with few stars. */
  if(!strchr(glob, '[') && (stars(glob) <= 3 || strlen(tail) <= 64)) {
    size_t k = glen;
    while(k && glob[k - 1] == '\\')
      k--;
    if((glen - k) % 2 == 0) {
      fm = fnmatch(glob, tail, 0);
      FUZZ_CHECK(fm == 0 || fm == FNM_NOMATCH);
      FUZZ_CHECK(scope_glob_match(glob, tail) == (fm == 0));
      if(stars(glob) <= 3 || inst.len <= 64) {
        fm = fnmatch(glob, jbuf_str(&inst), 0);
        FUZZ_CHECK(scope_glob_match(glob, jbuf_str(&inst)) == (fm == 0));
      }
    }
  }

  jbuf_free(&cat);
  jbuf_free(&inst);
  jbuf_free(&lit);
  free(buf);
  return 0;
}
