#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/services.h"

#define LAMBDA_MAX_BODY (16u * 1024 * 1024)

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
                     const char *path, const char *marker, size_t size,
                     aws_result_parse_fn parse, aws_result_free_fn fr,
                     aws_result_cb cb, void *arg)
{
  struct jbuf q;
  int rc;
  jbuf_init(&q, 8192);
  rc = marker_query(&q, marker, 50);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = op,
      .method = "GET", .path = path, .query = jbuf_str(&q),
      .max_body = LAMBDA_MAX_BODY
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
                   marker, sizeof(struct wire_function_page),
                   parse_functions, free_functions, cb, arg);
}

int lambda_list_layers(struct aws_client *c, const char *region,
                       const char *marker, aws_result_cb cb, void *arg)
{
  return list_call(c, region, "ListLayers", "/2018-10-31/layers", marker,
                   sizeof(struct wire_layer_page), parse_layers, free_layers,
                   cb, arg);
}

int lambda_list_layer_versions(struct aws_client *c, const char *region,
                               const char *layer, const char *marker,
                               aws_result_cb cb, void *arg)
{
  struct jbuf p;
  int rc;
  jbuf_init(&p, 4096);
  rc = name_path(&p, "/2018-10-31/layers/", layer, "/versions");
  if(!rc)
    rc = list_call(c, region, "ListLayerVersions", jbuf_str(&p), marker,
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
  jbuf_init(&p, 4096);
  snprintf(suffix, sizeof(suffix), "/versions/%" PRId64, version);
  rc = name_path(&p, "/2018-10-31/layers/", layer, suffix);
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_LAMBDA, .region = region, .op = "GetLayerVersion",
      .method = "GET", .path = jbuf_str(&p), .max_body = LAMBDA_MAX_BODY
    };
    rc = aws_send_parsed(c, &r, sizeof(struct wire_layer_version),
                         parse_version, free_version, cb, arg);
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
  jbuf_init(&p, 4096);
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
  jbuf_init(&p, 4096);
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
