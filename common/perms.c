#include "janitor/err.h"
#include "janitor/perms.h"

static const struct jan_perm perms[PERM_ALL_COUNT] = {
  [PERM_SIMULATE] = { "iam:SimulatePrincipalPolicy", PERM_FOR_VALIDATE,
                      PERM_RES_ANY, 0, "PermissionCheck" },
  [PERM_LIST_BUCKETS] = { "s3:ListAllMyBuckets", PERM_FOR_LISTING,
                          PERM_RES_ANY, 0, "ListEverything" },
  [PERM_LIST_FUNCTIONS] = { "lambda:ListFunctions", PERM_FOR_LISTING,
                            PERM_RES_ANY, 0, "ListEverything" },
  [PERM_LIST_LAYERS] = { "lambda:ListLayers", PERM_FOR_LISTING,
                         PERM_RES_ANY, 0, "ListEverything" },
  /* Layer versions: listed, or without that probed one by one. */
  [PERM_LIST_LAYER_VERSIONS] = { "lambda:ListLayerVersions",
                                 PERM_FOR_LISTING, PERM_RES_LAYER, 1,
                                 "RemotionFunctionsAndLayers" },
  [PERM_GET_LAYER_VERSION] = { "lambda:GetLayerVersion", PERM_FOR_LISTING,
                               PERM_RES_LAYER_VERSION, 1,
                               "RemotionFunctionsAndLayers" },
  /* A bucket's region when ListBuckets does not say it. */
  [PERM_GET_BUCKET_LOCATION] = { "s3:GetBucketLocation", PERM_FOR_LISTING,
                                 PERM_RES_BUCKET, 1, "RemotionBuckets" },
  [PERM_DELETE_FUNCTION] = { "lambda:DeleteFunction", PERM_FOR_FUNCTIONS,
                             PERM_RES_FUNCTION, 0,
                             "RemotionFunctionsAndLayers" },
  [PERM_DELETE_LAYER_VERSION] = { "lambda:DeleteLayerVersion",
                                  PERM_FOR_LAYERS, PERM_RES_LAYER_VERSION, 0,
                                  "RemotionFunctionsAndLayers" },
  [PERM_DELETE_BUCKET_WEBSITE] = { "s3:DeleteBucketWebsite",
                                   PERM_FOR_BUCKETS, PERM_RES_BUCKET, 0,
                                   "RemotionBuckets" },
  [PERM_LIST_BUCKET] = { "s3:ListBucket", PERM_FOR_BUCKETS, PERM_RES_BUCKET,
                         0, "RemotionBuckets" },
  [PERM_LIST_BUCKET_VERSIONS] = { "s3:ListBucketVersions", PERM_FOR_BUCKETS,
                                  PERM_RES_BUCKET, 0, "RemotionBuckets" },
  [PERM_DELETE_BUCKET] = { "s3:DeleteBucket", PERM_FOR_BUCKETS,
                           PERM_RES_BUCKET, 0, "RemotionBuckets" },
  [PERM_DELETE_OBJECT] = { "s3:DeleteObject", PERM_FOR_BUCKETS,
                           PERM_RES_OBJECT, 0, "RemotionObjects" },
  [PERM_DELETE_OBJECT_VERSION] = { "s3:DeleteObjectVersion",
                                   PERM_FOR_BUCKETS, PERM_RES_OBJECT, 0,
                                   "RemotionObjects" },
  /* Optional.  DescribeLogGroups is authorized on the region's log groups
   * as a whole, not on the groups it lists: it needs "*" and a statement
   * of its own, lest DeleteLogGroup get every group too. */
  [PERM_DESCRIBE_LOG_GROUPS] = { "logs:DescribeLogGroups",
                                 PERM_FOR_LOG_GROUPS, PERM_RES_ANY, 0,
                                 "OptionalLogGroupListing" },
  [PERM_DELETE_LOG_GROUP] = { "logs:DeleteLogGroup", PERM_FOR_LOG_GROUPS,
                              PERM_RES_LOG_GROUP, 0,
                              "OptionalLogGroupDeletion" },
  [PERM_LIST_TAGS] = { "lambda:ListTags", PERM_FOR_KEEP_TAGS,
                       PERM_RES_FUNCTION, 0,
                       "OptionalKeepTags" },
  [PERM_GET_BUCKET_TAGGING] = { "s3:GetBucketTagging", PERM_FOR_KEEP_TAGS,
                                PERM_RES_BUCKET, 0,
                                "OptionalKeepTags" },
};

const struct jan_perm *perm_get(enum perm_id id)
{
  return (unsigned)id < PERM_ALL_COUNT ? &perms[id] : NULL;
}

int perm_for_renders(enum perm_id id)
{
  return id == PERM_LIST_BUCKET || id == PERM_LIST_BUCKET_VERSIONS ||
         id == PERM_DELETE_OBJECT || id == PERM_DELETE_OBJECT_VERSION;
}

const char *perm_action(enum perm_id id)
{
  return (unsigned)id < PERM_ALL_COUNT ? perms[id].action : "?";
}

size_t perm_patterns(enum perm_res res, const char *const **out)
{
  static const char *const any[] = { "*" };
  static const char *const bucket[] = { "arn:aws:s3:::remotion-*",
                                        "arn:aws:s3:::remotionlambda-*" };
  static const char *const object[] = { "arn:aws:s3:::remotion-*/*",
                                        "arn:aws:s3:::remotionlambda-*/*" };
  static const char *const function[] = {
    "arn:aws:lambda:*:*:function:remotion-*" };
  static const char *const layer[] = {
    "arn:aws:lambda:*:*:layer:remotion-*" };
  static const char *const version[] = {
    "arn:aws:lambda:*:*:layer:remotion-*:*" };
  static const char *const log_group[] = {
    "arn:aws:logs:*:*:log-group:/aws/lambda/remotion-*" };
  switch(res) {
  case PERM_RES_BUCKET: *out = bucket; return JAN_ARRAY_SIZE(bucket);
  case PERM_RES_OBJECT: *out = object; return JAN_ARRAY_SIZE(object);
  case PERM_RES_FUNCTION: *out = function; return JAN_ARRAY_SIZE(function);
  case PERM_RES_LAYER: *out = layer; return JAN_ARRAY_SIZE(layer);
  case PERM_RES_LAYER_VERSION: *out = version; return JAN_ARRAY_SIZE(version);
  case PERM_RES_LOG_GROUP: *out = log_group; return JAN_ARRAY_SIZE(log_group);
  case PERM_RES_ANY:
  case PERM_RES_COUNT:
  default: *out = any; return JAN_ARRAY_SIZE(any);
  }
}
