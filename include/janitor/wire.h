/*
 * wire: the parsers and builders of AWS wire formats, with no I/O.
 *
 * S3 XML and the Query XML of IAM and STS are read with libxml2's streaming
 * xmlTextReader over the caller's buffer (no DOM); elements are matched by
 * local name, so any namespace or prefix is accepted.  The reader never
 * touches the network, never loads or expands a DTD, and refuses any
 * document with a DOCTYPE (AWS never sends one): no XXE, no billion laughs.
 * Lambda JSON is read with json-c under a depth limit; trailing data after
 * the document is refused.
 *
 * Every parse returns 0, JAN_EPARSE (not what the operation answers: bad
 * syntax, wrong root, wrong types, a required field missing or a field
 * repeated), JAN_ENOMEM or JAN_ETOOBIG (a body over 2 GiB or a text over
 * 1 MiB), and never crashes on any input.  Result structs are zeroed on
 * entry and left empty on failure, so their *_free is always safe to call.
 * The caller owns every result and frees it with the matching *_free.
 */
#ifndef JANITOR_WIRE_H
#define JANITOR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/buf.h"

/* A time field that the answer did not carry (never "old"). */
#define WIRE_TIME_UNKNOWN INT64_MIN

/* ---- Timestamps (wire_time.c) ---- */

/*
 * Parse an ISO 8601 / RFC 3339 timestamp into seconds since the epoch:
 * YYYY-MM-DDTHH:MM:SS, optional fraction (1..9 digits, truncated), then Z,
 * +HHMM / -HHMM (Lambda) or +HH:MM / -HH:MM (applied).  Anything else,
 * out-of-range fields (Feb 30, 24:00, second 60) or trailing characters:
 * JAN_EPARSE.  Independent of the locale and of the TZ.
 */
int wire_time_parse(const char *s, int64_t *epoch);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ"; t is clamped to years 0000..9999. */
void wire_time_format(int64_t t, char out[21]);

/* ---- AWS errors (wire_xml.c, wire_lambda.c) ---- */

/* Every field is a NUL-terminated string, "" when absent, passed through
 * untrusted_text() (secrets redacted, control characters escaped, cut with
 * "..." when too long). */
struct wire_error {
  char code[128];
  char message[1024];
  char request_id[128];
  char region[32];          /* S3 <Region> (AuthorizationHeaderMalformed) */
  char bucket_region[32];   /* S3 <BucketRegion>, when an error names it */
};

/* S3 <Error>, Query <ErrorResponse><Error> and <Response><Errors><Error>.
 * JAN_EPARSE when the body is none of these or has no <Code>. */
int wire_parse_error_xml(const char *body, size_t len, struct wire_error *e);
/*
 * rest-json errors.  The code comes from the x-amzn-ErrorType header value
 * (errtype_header, may be NULL) when it is not empty, else from the body's
 * `__type`, `code` or `Code`; in either case it is cut at the first ':' and
 * only what follows the last '#' is kept.  The message comes from `message`
 * or `Message`.  With a header code the body may be empty or not JSON;
 * without one, a body that is not a JSON object with a code: JAN_EPARSE.
 */
int wire_parse_error_json(const char *errtype_header, const char *body,
                          size_t len, struct wire_error *e);
/* 1 when the root element of the body is <Error> (S3 answers 200 and then
 * fails in the body), else 0 (including bodies that are not XML). */
int wire_s3_body_is_error(const char *body, size_t len);

/* ---- S3 (wire_s3.c) ---- */

struct wire_bucket {
  char *name;
  char *region;             /* <BucketRegion>, NULL if absent; as sent:
                               check it with untrusted_region() */
  int64_t created;          /* WIRE_TIME_UNKNOWN if absent */
};

struct wire_bucket_list {
  struct wire_bucket *v;
  size_t n;
  char *continuation_token; /* NULL when absent or empty: last page */
};

/* ListBuckets (root ListAllMyBucketsResult).  A bucket without a <Name>:
 * JAN_EPARSE. */
int wire_s3_parse_list_buckets(const char *body, size_t len,
                               struct wire_bucket_list *out);
void wire_bucket_list_free(struct wire_bucket_list *l);

/* GetBucketLocation: empty or absent means "us-east-1", "EU" "eu-west-1";
 * any other value is copied as server text (wire_copy_str: escaped, cut
 * with "..."), for the caller to check with untrusted_region() and name
 * when it refuses it.  A document of another shape: JAN_EPARSE. */
int wire_s3_parse_location(const char *body, size_t len, char region[32]);

struct wire_object {
  char *key;
  char *version_id;         /* NULL: none; "null" is a real version id (an
                               object written before versioning) */
  int delete_marker;
  int64_t last_modified;    /* WIRE_TIME_UNKNOWN if absent */
  int64_t size;             /* <Size> in bytes; WIRE_SIZE_UNKNOWN if absent
                               (delete markers) */
};

/* A size the answer did not carry; the largest one accepted (2^53: no S3
 * object comes near, and a larger figure is not a size). */
#define WIRE_SIZE_UNKNOWN (-1)
#define WIRE_SIZE_MAX (INT64_C(1) << 53)

struct wire_object_page {
  struct wire_object *v;
  size_t n;
  int truncated;
  char *next_key_marker;          /* ListObjectVersions */
  char *next_version_id_marker;   /* ListObjectVersions */
  char *next_continuation_token;  /* ListObjectsV2 */
};

/*
 * ListObjectVersions (root ListVersionsResult): <Version> and
 * <DeleteMarker> in document order.  ListObjectsV2 (root ListBucketResult):
 * <Contents>.  An item without <Key>, or an <IsTruncated>true</IsTruncated>
 * page without the marker needed to go on (NextKeyMarker,
 * NextContinuationToken): JAN_EPARSE, so that a caller can never loop on
 * the same page.  <Size> must be decimal digits within WIRE_SIZE_MAX,
 * once per item, else JAN_EPARSE.  A page without <IsTruncated>: JAN_EPARSE
 * (S3 always sends it).  When the answer says <EncodingType>url</EncodingType>
 * (the request had encoding-type=url), keys and key markers are decoded
 * with wire_url_decode(); a key that does not decode: JAN_EPARSE.  An
 * answer that is not url-encoded and holds a raw CR byte anywhere:
 * JAN_EPARSE (XML reads a CR in a key as LF).  Version ids are never
 * url-encoded by S3 and are taken as they are.
 */
int wire_s3_parse_list_versions(const char *body, size_t len,
                                struct wire_object_page *out);
int wire_s3_parse_list_objects_v2(const char *body, size_t len,
                                  struct wire_object_page *out);
void wire_object_page_free(struct wire_object_page *p);

struct wire_delete_error {
  char *key;                /* never NULL ("" if absent) */
  char *version_id;         /* NULL if absent */
  char code[64];
  char message[512];
};

/* A <Deleted> entry that says <DeleteMarker>true</DeleteMarker>: for a key
 * sent without a version id, the delete only added a marker over it. */
struct wire_delete_marker {
  char *key;                /* never NULL ("" if absent) */
  char *version_id;         /* NULL if absent (a key-only delete) */
  char *marker_version_id;  /* <DeleteMarkerVersionId>, NULL if absent */
};

struct wire_delete_result {
  size_t deleted;           /* <Deleted> entries (none in quiet mode) */
  struct wire_delete_error *errors;
  size_t nerrors;
  struct wire_delete_marker *markers;   /* among the <Deleted> entries */
  size_t nmarkers;
};

/* DeleteObjects (root DeleteResult): S3 answers 200 even when some keys
 * failed; every <Error> is returned, and every <Deleted> entry that reports
 * a delete marker (<DeleteMarker> other than "true" or "false", or a
 * repeated field: JAN_EPARSE). */
int wire_s3_parse_delete_result(const char *body, size_t len,
                                struct wire_delete_result *out);
void wire_delete_result_free(struct wire_delete_result *r);

/*
 * DeleteObjects body:
 * <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
 * <Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
 * (no <Quiet> when quiet is 0, no <VersionId> when version_id is NULL).
 * Keys and version ids are escaped: & < > " ' as entities, tab, LF and CR
 * as &#x9; &#xA; &#xD; (a raw CR would reach S3 as LF); the rest of the
 * UTF-8 is kept as is.  n outside 1..1000, or a key that XML 1.0 cannot
 * carry at all (see wire_s3_key_xml_safe): JAN_EINVAL, out unchanged.
 * Appends to out.
 */
int wire_s3_build_delete_body(const struct wire_object *objs, size_t n,
                              int quiet, struct jbuf *out);
/* 1 when the string can go in an XML 1.0 document: valid UTF-8 without the
 * control characters other than tab, LF and CR, and without U+FFFE/U+FFFF.
 * Keys that cannot must be deleted one by one (DeleteObject, in the path). */
int wire_s3_key_xml_safe(const char *key);

/*
 * S3's encoding-type=url, decoded (botocore's unquote_plus): %XX (either
 * case) is the byte XX, '+' is a space, every other byte is itself.  A '%'
 * not followed by two hex digits, a %00 or a NUL byte in the input:
 * JAN_EPARSE (keys here are C strings: a key holding NUL is refused, never
 * cut).  out has room for len + 1 bytes (it may be in itself: decoding only
 * shortens); it is NUL-terminated and *outlen is its length.
 */
int wire_url_decode(const char *in, size_t len, char *out, size_t *outlen);

/* Percent-encode an object key for a URL path: A-Za-z0-9-_.~ and '/' kept,
 * every other byte %XX (uppercase).  Appends to out. */
int wire_uri_encode_key(const char *key, struct jbuf *out);
/* The same with '/' encoded too: query values (markers, tokens). */
int wire_query_encode(const char *s, struct jbuf *out);

/* ---- Lambda (wire_lambda.c) ---- */

/*
 * For every Lambda list, the list member ("Functions", "Layers",
 * "LayerVersions") must be present and an array (an answer without it is
 * not a listing: JAN_EPARSE); within items, a required field missing or
 * null, or any field of the wrong JSON type: JAN_EPARSE; an optional field
 * absent or null: NULL, 0 or WIRE_TIME_UNKNOWN.  Integers must be JSON
 * integers in 0..INT64_MAX-1; CodeSize at most WIRE_CODE_SIZE_MAX (a
 * container image, Lambda's largest package, is at most 10 GB), beyond
 * it JAN_EPARSE.  When a key is repeated in an object, the last one
 * counts (json-c's rule).
 */
#define WIRE_CODE_SIZE_MAX (INT64_C(10) << 30)

struct wire_function {
  char *name;               /* FunctionName, required */
  char *arn;                /* FunctionArn */
  int64_t last_modified;    /* LastModified */
  char *runtime;            /* Runtime (NULL for container images) */
  int64_t memory_mb, timeout_s, code_size;
};

struct wire_function_page {
  struct wire_function *v;
  size_t n;
  char *next_marker;        /* NULL when absent, null or empty */
};

int wire_lambda_parse_list_functions(const char *body, size_t len,
                                     struct wire_function_page *out);
void wire_function_page_free(struct wire_function_page *p);

struct wire_layer {
  char *name;               /* LayerName, required */
  char *arn;                /* LayerArn */
  int64_t latest_version;   /* LatestMatchingVersion.Version, 0 if absent */
  int64_t latest_created;   /* LatestMatchingVersion.CreatedDate */
};

struct wire_layer_page {
  struct wire_layer *v;
  size_t n;
  char *next_marker;
};

int wire_lambda_parse_list_layers(const char *body, size_t len,
                                  struct wire_layer_page *out);
void wire_layer_page_free(struct wire_layer_page *p);

struct wire_layer_version {
  int64_t version;          /* Version, required, >= 1 */
  char *arn;                /* LayerVersionArn */
  int64_t created;          /* CreatedDate */
};

struct wire_layer_version_page {
  struct wire_layer_version *v;
  size_t n;
  char *next_marker;
};

int wire_lambda_parse_list_layer_versions(const char *body, size_t len,
                                          struct wire_layer_version_page *out);
void wire_layer_version_page_free(struct wire_layer_version_page *p);
/* GetLayerVersion: one object with Version, LayerVersionArn, CreatedDate. */
int wire_lambda_parse_get_layer_version(const char *body, size_t len,
                                        struct wire_layer_version *out);
void wire_layer_version_free(struct wire_layer_version *lv);

/* ---- Tags (Lambda ListTags in wire_lambda.c, S3 GetBucketTagging in
 * wire_s3.c) ---- */

/*
 * A resource's tags, in the order of the answer.  A key is 1..128 bytes, a
 * value 0..256 (AWS's limits; what is longer, or a NUL, or a key given
 * twice: JAN_EPARSE); at most WIRE_TAGS_MAX tags (50 a user can set, and
 * room for the aws: ones that services add): more is JAN_EPARSE.
 */
#define WIRE_TAG_KEY_MAX 128
#define WIRE_TAG_VALUE_MAX 256
#define WIRE_TAGS_MAX 100

struct wire_tag {
  char *key;
  char *value;              /* "" for an empty value, never NULL */
};

struct wire_tag_list {
  struct wire_tag *v;
  size_t n;
};

void wire_tag_list_free(struct wire_tag_list *t);
/* The value of key (byte for byte), or NULL when the list has no such
 * key. */
const char *wire_tag_find(const struct wire_tag_list *t, const char *key);
/* Lambda ListTags: {"Tags": {"KEY": "VALUE", ...}}; "Tags" required, an
 * object of strings. */
int wire_lambda_parse_list_tags(const char *body, size_t len,
                                struct wire_tag_list *out);
/* S3 GetBucketTagging: <Tagging><TagSet><Tag><Key/><Value/></Tag>...
 * (TagSet required, each Tag with exactly one Key and one Value). */
int wire_s3_parse_tagging(const char *body, size_t len,
                          struct wire_tag_list *out);

/* ---- CloudWatch Logs (JSON 1.1, wire_lambda.c) ---- */

/*
 * DescribeLogGroups: "logGroups" required, an array; logGroupName required;
 * the rest optional (absent or null: NULL, WIRE_TIME_UNKNOWN,
 * WIRE_SIZE_UNKNOWN).  creationTime is milliseconds since the epoch (a
 * JSON integer in 0..WIRE_SIZE_MAX), given here in seconds; storedBytes
 * an integer in 0..WIRE_SIZE_MAX.  Names are not checked here: the caller
 * checks them (names_log_group_valid, scope_log_group_contains).
 */
struct wire_log_group {
  char *name;               /* logGroupName, required */
  char *arn;                /* arn (ends in ":*") */
  int64_t created;          /* creationTime / 1000 */
  int64_t stored_bytes;     /* storedBytes */
};

struct wire_log_group_page {
  struct wire_log_group *v;
  size_t n;
  char *next_token;         /* NULL when absent, null or empty */
};

int wire_logs_parse_describe_log_groups(const char *body, size_t len,
                                        struct wire_log_group_page *out);
void wire_log_group_page_free(struct wire_log_group_page *p);

/* ---- AWS Organizations (JSON 1.1, wire_org.c) ---- */

/*
 * ListAccounts and ListAccountsForParent: "Accounts" required, an array;
 * each account's Id (exactly 12 ASCII digits) and Status required, Name
 * optional (1..WIRE_ORG_NAME_MAX bytes, NULL when absent: outside text,
 * escape it before showing it).  A status other than ACTIVE, SUSPENDED or
 * PENDING_CLOSURE is WIRE_ORG_OTHER (never swept), not an error.
 * ListOrganizationalUnitsForParent: "OrganizationalUnits", each Id of the
 * form ou-[0-9a-z]{4,32}-[0-9a-z]{8,32} (wire_org_ou_id_valid), Name
 * optional.  NextToken: NULL when absent, null or empty.  An id of any
 * other shape: JAN_EPARSE (it becomes an ARN or the next request's
 * ParentId).
 */
#define WIRE_ORG_NAME_MAX 128
enum wire_org_status { WIRE_ORG_ACTIVE = 0, WIRE_ORG_SUSPENDED,
                       WIRE_ORG_PENDING_CLOSURE, WIRE_ORG_OTHER };

struct wire_org_account {
  char id[13];
  char *name;
  enum wire_org_status status;
};

struct wire_org_account_page {
  struct wire_org_account *v;
  size_t n;
  char *next_token;
};

struct wire_org_unit {
  char id[69];              /* "ou-" 4..32 "-" 8..32 */
  char *name;
};

struct wire_org_unit_page {
  struct wire_org_unit *v;
  size_t n;
  char *next_token;
};

int wire_org_parse_accounts(const char *body, size_t len,
                            struct wire_org_account_page *out);
void wire_org_account_page_free(struct wire_org_account_page *p);
int wire_org_parse_units(const char *body, size_t len,
                         struct wire_org_unit_page *out);
void wire_org_unit_page_free(struct wire_org_unit_page *p);
/* DescribeOrganization: {"Organization": {"MasterAccountId": ..}}, the
 * management account's id (12 digits, required) into master. */
int wire_org_parse_organization(const char *body, size_t len,
                                char master[13]);
/* 1 for an account id of exactly 12 ASCII digits. */
int wire_org_account_id_valid(const char *s);
/* 1 for an OU id ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}; 1 also for a root id
 * r-[0-9a-z]{4,32} when root is set. */
int wire_org_parent_id_valid(const char *s, int root);
/* The name of a status, as AWS spells it ("OTHER" for WIRE_ORG_OTHER). */
const char *wire_org_status_name(enum wire_org_status s);

/* ---- STS and IAM Query XML (wire_query.c) ---- */

struct wire_identity {
  char account[13];         /* exactly 12 digits */
  char *arn;                /* required; "arn:" and printable ASCII */
  char *user_id;            /* NULL if absent */
};

int wire_sts_parse_caller_identity(const char *body, size_t len,
                                   struct wire_identity *out);
void wire_identity_free(struct wire_identity *id);

struct wire_eval {
  char *action;             /* EvalActionName */
  char *resource;           /* EvalResourceName, NULL if absent */
  char decision[16];        /* allowed | explicitDeny | implicitDeny */
};

/* SimulatePrincipalPolicy: the top-level EvaluationResults members (an
 * entry without action or decision: JAN_EPARSE); *marker (caller frees)
 * is NULL when absent; a truncated page without a Marker: JAN_EPARSE. */
int wire_iam_parse_simulate(const char *body, size_t len,
                            struct wire_eval **v, size_t *n, int *truncated,
                            char **marker);
void wire_eval_list_free(struct wire_eval *v, size_t n);

struct wire_user {
  char *name;               /* UserName, NULL if absent (root user) */
  char *arn;                /* Arn, required; "arn:" and printable ASCII */
};

int wire_iam_parse_get_user(const char *body, size_t len,
                            struct wire_user *out);
void wire_user_free(struct wire_user *u);

#endif
