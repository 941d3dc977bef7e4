#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/caps.h"
#include "janitor/logs.h"
#include "janitor/names.h"
#include "janitor/scope.h"

/*
 * What one DescribeLogGroups answer may weigh: a group's name (512 bytes)
 * JSON-escaped at worst (\u00XX: 6 bytes a byte) is 3 KiB, and so are each
 * of its two ARNs; kmsKeyId (2048), the data protection and inherited
 * properties, the class, retention, metric filter count and the member
 * names: under 4 KiB.  16 KiB a group, 50 of them, and LOGS_PAGE_SLACK for
 * nextToken and the envelope: 864 KiB.  Over the cap: JAN_ETOOBIG.
 */
#define LOGS_GROUP_MAX   (16u * 1024)
#define LOGS_PAGE_SLACK  (64u * 1024)
#define LOGS_DESCRIBE_MAX_BODY \
  (LOGS_PAGE_ITEMS * LOGS_GROUP_MAX + LOGS_PAGE_SLACK)
/* An error or DeleteLogGroup's empty answer. */
#define LOGS_SMALL_MAX_BODY (64u * 1024)

#define LOGS_CONTENT_TYPE "application/x-amz-json-1.1"
#define LOGS_TARGET_PREFIX "Logs_20140328."

/* Serialize o (consumed) onto out. */
static int put_json(json_object *o, struct jbuf *out)
{
  const char *s;
  int rc;

  if(!o)
    return JAN_ENOMEM;
  s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                            JSON_C_TO_STRING_NOSLASHESCAPE);
  rc = s ? jbuf_addstr(out, s) : JAN_ENOMEM;
  json_object_put(o);
  return rc;
}

/* Add key: string s to o; 0 or JAN_ENOMEM. */
static int add_str(json_object *o, const char *key, const char *s)
{
  json_object *v = json_object_new_string(s);
  if(!v || json_object_object_add(o, key, v)) {
    json_object_put(v);
    return JAN_ENOMEM;
  }
  return JAN_OK;
}

int logs_describe_body(const char *token, struct jbuf *out)
{
  json_object *o = json_object_new_object();
  json_object *lim;
  int rc;

  if(!o)
    return JAN_ENOMEM;
  rc = add_str(o, "logGroupNamePrefix", SCOPE_LOG_GROUP_PREFIX);
  if(!rc) {
    lim = json_object_new_int(LOGS_PAGE_ITEMS);
    if(!lim || json_object_object_add(o, "limit", lim)) {
      json_object_put(lim);
      rc = JAN_ENOMEM;
    }
  }
  if(!rc && token && *token)
    rc = add_str(o, "nextToken", token);
  if(rc) {
    json_object_put(o);
    return rc;
  }
  return put_json(o, out);
}

int logs_delete_body(const char *group, struct jbuf *out)
{
  json_object *o = json_object_new_object();
  int rc;

  if(!o)
    return JAN_ENOMEM;
  rc = add_str(o, "logGroupName", group);
  if(rc) {
    json_object_put(o);
    return rc;
  }
  return put_json(o, out);
}

static int parse_groups(const char *b, size_t n, void *out)
{
  return wire_logs_parse_describe_log_groups(b, n, out);
}
static void free_groups(void *p)
{
  wire_log_group_page_free(p);
}

static int call(struct aws_client *c, const char *region, const char *op,
                const struct jbuf *body, size_t max_body, size_t size,
                aws_result_parse_fn parse, aws_result_free_fn fr,
                aws_result_cb cb, void *arg)
{
  char target[64];
  struct aws_request r = {
    .service = AWS_SVC_LOGS, .region = region, .op = op, .method = "POST",
    .path = "/", .content_type = LOGS_CONTENT_TYPE, .target = target,
    .body = body->ptr, .body_len = body->len, .max_body = max_body
  };
  snprintf(target, sizeof(target), LOGS_TARGET_PREFIX "%s", op);
  return aws_send_parsed(c, &r, size, parse, fr, cb, arg);
}

int logs_describe_log_groups(struct aws_client *c, const char *region,
                             const char *token, aws_result_cb cb, void *arg)
{
  struct jbuf b;
  int rc;

  jbuf_init(&b, JAN_PATH_MAX);
  rc = logs_describe_body(token, &b);
  if(!rc)
    rc = call(c, region, "DescribeLogGroups", &b, LOGS_DESCRIBE_MAX_BODY,
              sizeof(struct wire_log_group_page), parse_groups, free_groups,
              cb, arg);
  jbuf_free(&b);
  return rc;
}

int logs_delete_log_group(struct aws_client *c, const char *region,
                          const char *group, aws_result_cb cb, void *arg)
{
  struct jbuf b;
  int rc = names_log_group_guard("DeleteLogGroup", group);

  if(rc)
    return rc;
  jbuf_init(&b, JAN_PATH_MAX);
  rc = logs_delete_body(group, &b);
  if(!rc)
    rc = call(c, region, "DeleteLogGroup", &b, LOGS_SMALL_MAX_BODY, 0, NULL,
              NULL, cb, arg);
  jbuf_free(&b);
  return rc;
}
