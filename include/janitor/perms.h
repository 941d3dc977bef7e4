/*
 * The IAM permissions the janitor needs, in one table: each action, the
 * feature that needs it, the shape of the resources it is used on, whether
 * a slower fallback exists, and the statement of the shipped policy
 * (conf/remotion-janitor-policy.json) that grants it.  --validate asks IAM
 * about every row, the AccessDenied hints name rows, and a test checks that
 * the shipped policy grants exactly what the table says.
 */
#ifndef JANITOR_PERMS_H
#define JANITOR_PERMS_H

#include <stddef.h>

enum perm_id {
  PERM_SIMULATE = 0,            /* iam:SimulatePrincipalPolicy (--validate) */
  PERM_LIST_BUCKETS,
  PERM_LIST_FUNCTIONS,
  PERM_LIST_LAYERS,
  PERM_LIST_LAYER_VERSIONS,
  PERM_GET_LAYER_VERSION,
  PERM_GET_BUCKET_LOCATION,
  PERM_DELETE_FUNCTION,
  PERM_DELETE_LAYER_VERSION,
  PERM_DELETE_BUCKET_WEBSITE,
  PERM_LIST_BUCKET,
  PERM_LIST_BUCKET_VERSIONS,
  PERM_DELETE_BUCKET,
  PERM_DELETE_OBJECT,
  PERM_DELETE_OBJECT_VERSION,
  PERM_COUNT,
  /*
   * The optional features' rows ([policy] log_groups, keep_tag): in the
   * table, the hints and the shipped policy's "Optional..." statements;
   * --validate asks them apart from the rows below PERM_COUNT, says
   * whether the config needs each, and never fails for them (without
   * them the sweep goes on, "not permitted" or "tags-unknown").
   */
  PERM_DESCRIBE_LOG_GROUPS = PERM_COUNT,
  PERM_DELETE_LOG_GROUP,
  PERM_LIST_TAGS,
  PERM_GET_BUCKET_TAGGING,
  PERM_ALL_COUNT
};

enum perm_feature {
  PERM_FOR_VALIDATE = 0,        /* --validate itself */
  PERM_FOR_LISTING,             /* every sweep */
  PERM_FOR_FUNCTIONS,           /* [policy] functions */
  PERM_FOR_LAYERS,              /* [policy] layers */
  PERM_FOR_BUCKETS,             /* [policy] buckets */
  PERM_FOR_LOG_GROUPS,          /* CloudWatch log groups (optional) */
  PERM_FOR_KEEP_TAGS            /* keep tags (optional) */
};

enum perm_res {
  PERM_RES_ANY = 0,             /* "*" */
  PERM_RES_BUCKET,
  PERM_RES_OBJECT,
  PERM_RES_FUNCTION,
  PERM_RES_LAYER,
  PERM_RES_LAYER_VERSION,
  PERM_RES_LOG_GROUP,           /* "/aws/lambda/remotion-*" groups */
  PERM_RES_COUNT
};

struct jan_perm {
  const char *action;
  enum perm_feature feature;
  enum perm_res res;
  int optional;                 /* a slower fallback exists */
  const char *sid;              /* its statement in the shipped policy */
};

/* Any row below PERM_ALL_COUNT; NULL beyond. */
const struct jan_perm *perm_get(enum perm_id id);
const char *perm_action(enum perm_id id);
/* 1 for the bucket permissions that render pruning needs too ([policy]
 * renders): listing objects and versions, deleting objects and versions. */
int perm_for_renders(enum perm_id id);

/* The scoped ARN patterns of a resource shape ("arn:aws:s3:::remotion-*",
 * ...): n of them in *out. */
size_t perm_patterns(enum perm_res res, const char *const **out);

#endif
