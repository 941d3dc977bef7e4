#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/services.h"

/*
 * What one answer may weigh, from the documented maxima of what AWS can
 * put in it (a page is at most LAMBDA_PAGE_ITEMS, which we ask for), with
 * every string at its longest and JSON-escaped at worst (\uXXXX\uXXXX:
 * 12 bytes for one 4-byte character of free text):
 *
 * one FunctionConfiguration (ListFunctions): Environment.Variables 4 KiB
 * escaped 6x = 24 KiB; Layers 5 x (ARN 140 + signing profile and job ARNs
 * 2 x 2048) = 21 KiB; Role, KMSKeyArn, DeadLetterConfig.TargetArn,
 * SigningProfileVersionArn, SigningJobArn, RuntimeVersionArn 6 x 2048 =
 * 12 KiB; ImageConfigResponse (EntryPoint 1500, Command 1500,
 * WorkingDirectory 1000, Error) 5 KiB; Description 256 chars x 12 = 3 KiB;
 * the reasons and errors (State, LastUpdateStatus, Environment,
 * RuntimeVersionConfig) 4 KiB; the rest (name, ARN, handler, VPC with 16
 * subnets and 5 groups, file systems, logging, member names) 3 KiB:
 * 72 KiB, rounded up to 80 KiB.  50 of them: 4000 KiB.
 *
 * one layer (ListLayers) or layer version (ListLayerVersions): names and
 * ARNs 3 x 140, Description 256 x 12 = 3 KiB, LicenseInfo 512 x 12 =
 * 6 KiB, 15 runtimes, 2 architectures, dates: 10 KiB, rounded up to
 * 12 KiB.  50 of them: 600 KiB.
 *
 * GetLayerVersion: one version (12 KiB) with Content (a presigned Location
 * URL, a few KiB; hash, size, two signing ARNs 4 KiB): under 32 KiB.
 *
 * Every page adds LAMBDA_PAGE_SLACK for NextMarker and the envelope.  An
 * answer over its cap fails with JAN_ETOOBIG and the listing is
 * incomplete; real pages are far below (a Remotion function is ~1.5 KiB).
 */
#define LAMBDA_PAGE_ITEMS        50u
#define LAMBDA_PAGE_SLACK        (64u * 1024)
#define LAMBDA_FUNCTION_MAX      (80u * 1024)
#define LAMBDA_LAYER_MAX         (12u * 1024)
#define LAMBDA_FUNCTIONS_MAX_BODY \
  (LAMBDA_PAGE_ITEMS * LAMBDA_FUNCTION_MAX + LAMBDA_PAGE_SLACK)
#define LAMBDA_LAYERS_MAX_BODY \
  (LAMBDA_PAGE_ITEMS * LAMBDA_LAYER_MAX + LAMBDA_PAGE_SLACK)
#define LAMBDA_GET_LAYER_VERSION_MAX_BODY (32u * 1024 + LAMBDA_PAGE_SLACK)
/* ListTags: WIRE_TAGS_MAX tags of a 128-byte key and a 256-byte value,
 * each escaped at worst 6 times (\u00XX): 231 KiB, and the slack. */
#define LAMBDA_LIST_TAGS_MAX_BODY \
  (WIRE_TAGS_MAX * (WIRE_TAG_KEY_MAX + WIRE_TAG_VALUE_MAX + 8) * 6u + \
   LAMBDA_PAGE_SLACK)

/* The second check, where modifying requests are built: in scope and a
 * name Lambda could have created. */
static int guard(const char *op, enum jan_kind kind, const char *name)
{
  return names_guard(op, kind, name);
}

static int parse_functions(const char *b, size_t n, void *out)
{
  return wire_lambda_parse_list_functions(b, n, out);
}
static void free_functions(void *p)
{
  wire_function_page_free(p);
}
static int parse_layers(const char *b, size_t n, void *out)
{
  return wire_lambda_parse_list_layers(b, n, out);
}
static void free_layers(void *p)
{
  wire_layer_page_free(p);
}
static int parse_versions(const char *b, size_t n, void *out)
{
  return wire_lambda_parse_list_layer_versions(b, n, out);
}
static void free_versions(void *p)
{
  wire_layer_version_page_free(p);
}
static int parse_version(const char *b, size_t n, void *out)
{
  return wire_lambda_parse_get_layer_version(b, n, out);
}
static void free_version(void *p)
{
  wire_layer_version_free(p);
}

static int parse_tags(const char *b, size_t n, void *out)
{
  return wire_lambda_parse_list_tags(b, n, out);
}
static void free_tags(void *p)
{
  wire_tag_list_free(p);
}

/* A query "Marker=<encoded>&MaxItems=N", or just the MaxItems part. */
static int marker_query(struct jbuf *q, const char *marker, unsigned max)
{
  int rc = JAN_OK;
  if(marker) {
    rc = jbuf_addstr(q, "Marker=");
    if(!rc)
      rc = wire_query_encode(marker, q);
    if(!rc)
      rc = jbuf_addc(q, '&');
  }
  if(!rc)
    rc = jbuf_printf(q, "MaxItems=%u", max);
  return rc;
}

/* "/<prefix>/<encoded name><suffix>" */
static int name_path(struct jbuf *p, const char *prefix, const char *name,
                     const char *suffix)
{
  int rc = jbuf_addstr(p, prefix);
  if(!rc)
    rc = names_encode_segment(name, p);
  if(!rc && suffix)
    rc = jbuf_addstr(p, suffix);
  return rc;
}

static int list_call(struct aws_client *c, const char *region, const char *op,
                     const char *path, const char *marker, size_t max_body,
                     size_t size, aws_result_parse_fn parse,
                     aws_result_free_fn fr, aws_result_cb cb, void *arg)
{
  struct jbuf q;
  int rc;
  jbuf_init(&q, JAN_PATH_MAX);
  rc = marker_query(&q, marker, LAMBDA_PAGE_ITEMS);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = op,
      .method = "GET", .path = path, .query = jbuf_str(&q),
      .max_body = max_body
    };
    rc = aws_send_parsed(c, &r, size, parse, fr, cb, arg);
  }
  jbuf_free(&q);
  return rc;
}

int lambda_list_functions(struct aws_client *c, const char *region,
                          const char *marker, aws_result_cb cb, void *arg)
{
  return list_call(c, region, "ListFunctions", "/2015-03-31/functions/",
                   marker, LAMBDA_FUNCTIONS_MAX_BODY,
                   sizeof(struct wire_function_page),
                   parse_functions, free_functions, cb, arg);
}

int lambda_list_layers(struct aws_client *c, const char *region,
                       const char *marker, aws_result_cb cb, void *arg)
{
  return list_call(c, region, "ListLayers", "/2018-10-31/layers", marker,
                   LAMBDA_LAYERS_MAX_BODY, sizeof(struct wire_layer_page), parse_layers, free_layers,
                   cb, arg);
}

int lambda_list_layer_versions(struct aws_client *c, const char *region,
                               const char *layer, const char *marker,
                               aws_result_cb cb, void *arg)
{
  struct jbuf p;
  int rc;
  jbuf_init(&p, JAN_PATH_MAX);
  rc = name_path(&p, "/2018-10-31/layers/", layer, "/versions");
  if(!rc)
    rc = list_call(c, region, "ListLayerVersions", jbuf_str(&p), marker,
                   LAMBDA_LAYERS_MAX_BODY,
                   sizeof(struct wire_layer_version_page), parse_versions,
                   free_versions, cb, arg);
  jbuf_free(&p);
  return rc;
}

int lambda_get_layer_version(struct aws_client *c, const char *region,
                             const char *layer, int64_t version,
                             aws_result_cb cb, void *arg)
{
  struct jbuf p;
  char suffix[32];
  int rc;
  jbuf_init(&p, JAN_PATH_MAX);
  snprintf(suffix, sizeof(suffix), "/versions/%" PRId64, version);
  rc = name_path(&p, "/2018-10-31/layers/", layer, suffix);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = "GetLayerVersion",
      .method = "GET", .path = jbuf_str(&p),
      .max_body = LAMBDA_GET_LAYER_VERSION_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_layer_version),
                         parse_version, free_version, cb, arg);
  }
  jbuf_free(&p);
  return rc;
}

int lambda_list_tags(struct aws_client *c, const char *region,
                     const char *function_arn, aws_result_cb cb, void *arg)
{
  struct jbuf p;
  int rc;
  jbuf_init(&p, JAN_PATH_MAX);
  rc = name_path(&p, "/2017-03-31/tags/", function_arn, NULL);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = "ListTags",
      .method = "GET", .path = jbuf_str(&p),
      .max_body = LAMBDA_LIST_TAGS_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_tag_list), parse_tags,
                         free_tags, cb, arg);
  }
  jbuf_free(&p);
  return rc;
}

int lambda_delete_function(struct aws_client *c, const char *region,
                           const char *name, aws_result_cb cb, void *arg)
{
  struct jbuf p;
  int rc = guard("DeleteFunction", JAN_KIND_FUNCTION, name);
  if(rc)
    return rc;
  jbuf_init(&p, JAN_PATH_MAX);
  rc = name_path(&p, "/2015-03-31/functions/", name, NULL);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = "DeleteFunction",
      .method = "DELETE", .path = jbuf_str(&p)
    };
    rc = aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
  }
  jbuf_free(&p);
  return rc;
}

int lambda_delete_layer_version(struct aws_client *c, const char *region,
                                const char *layer, int64_t version,
                                aws_result_cb cb, void *arg)
{
  struct jbuf p;
  char suffix[32];
  int rc = guard("DeleteLayerVersion", JAN_KIND_LAYER, layer);
  if(rc)
    return rc;
  if(!names_layer_version_valid(version))
    return JAN_EINVAL;
  jbuf_init(&p, JAN_PATH_MAX);
  snprintf(suffix, sizeof(suffix), "/versions/%" PRId64, version);
  rc = name_path(&p, "/2018-10-31/layers/", layer, suffix);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region,
      .op = "DeleteLayerVersion", .method = "DELETE", .path = jbuf_str(&p)
    };
    rc = aws_send_parsed(c, &r, 0, NULL, NULL, cb, arg);
  }
  jbuf_free(&p);
  return rc;
}
