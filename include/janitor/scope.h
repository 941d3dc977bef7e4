/*
 * The scope rule (remotion-janitor(8), DESCRIPTION), in one place.  A name is in scope only if
 * it starts with one of the compiled-in prefixes of its kind, compared
 * byte for byte (case-sensitive, no Unicode folding).
 */
#ifndef JANITOR_SCOPE_H
#define JANITOR_SCOPE_H

#include <stdbool.h>

enum jan_kind {
  JAN_KIND_BUCKET = 0,
  JAN_KIND_FUNCTION = 1,
  JAN_KIND_LAYER = 2,
  /* Inside a kept bucket (render.h): never listed by name, never in the
   * scope checks of names; the bucket is. */
  JAN_KIND_RENDER = 3,
  JAN_KIND_PROPS = 4,
  /* A CloudWatch Logs log group "/aws/lambda/<function>" ([policy]
   * log_groups): in scope when its function's name is (below). */
  JAN_KIND_LOG_GROUP = 5,
  JAN_KIND_N
};

const char *scope_kind_name(enum jan_kind k);  /* "bucket", "function", ... */
/* JAN_KIND_LOG_GROUP: scope_log_group_contains(name). */
bool scope_contains(enum jan_kind kind, const char *name);

/*
 * CloudWatch Logs log groups: "/aws/lambda/<name>" is in scope exactly
 * when <name> is a function name in scope (scope_contains), byte for
 * byte.  "/aws/lambda-insights", "/aws/lambda/Remotion-x",
 * "/aws/lambda/remotionfan" and every other group are out.
 * scope_log_group_owner() returns the owner's name inside group (and its
 * kind in *kind when kind is not NULL), or NULL when out of scope.
 */
const char *scope_log_group_owner(const char *group, enum jan_kind *kind);
/* What a log group of a resource of kind is named by: "/aws/lambda/" for
 * functions (the group is the prefix and the name), NULL for a kind
 * without log groups. */
const char *scope_log_group_prefix(enum jan_kind kind);
bool scope_log_group_contains(const char *group);
/* The prefix DescribeLogGroups lists with (logGroupNamePrefix): every
 * group in scope starts with it. */
#define SCOPE_LOG_GROUP_PREFIX "/aws/lambda/remotion-"

/*
 * fnmatch-style globs without flags: '*' any run (also '/'), '?' one byte,
 * '[...]' a class with ranges and '!' or '^' negation, '\' escapes.
 */
bool scope_glob_match(const char *glob, const char *name);

/*
 * True when every name the glob can match starts with a scope prefix, i.e.
 * the glob can only narrow the scope.  Conservative: the literal text
 * before the first metacharacter must start with a prefix.  The bare prefix
 * ("remotion-" for "remotion-*") can match but is not in scope; the policy
 * checks scope_contains() before any glob, so it is never a candidate.
 */
bool scope_glob_narrows(const char *glob);

#endif
