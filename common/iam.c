#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "janitor/services.h"

static int parse_identity(const char *b, size_t n, void *out)
{
  return wire_sts_parse_caller_identity(b, n, out);
}
static void free_identity(void *p)
{
  wire_identity_free(p);
}

int sts_get_caller_identity(struct aws_client *c, const char *region,
                            aws_result_cb cb, void *arg)
{
  static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
  struct aws_request r = {
    .service = AWS_SVC_STS, .region = region, .op = "GetCallerIdentity",
    .method = "POST", .path = "/",
    .content_type = "application/x-www-form-urlencoded; charset=utf-8",
    .body = body, .body_len = sizeof(body) - 1
  };
  return aws_send_parsed(c, &r, sizeof(struct wire_identity), parse_identity,
                         free_identity, cb, arg);
}

static int parse_simulate(const char *b, size_t n, void *out)
{
  struct iam_simulate_page *p = out;
  return wire_iam_parse_simulate(b, n, &p->v, &p->n, &p->truncated,
                                 &p->marker);
}
static void free_simulate(void *out)
{
  struct iam_simulate_page *p = out;
  wire_eval_list_free(p->v, p->n);
  free(p->marker);
  memset(p, 0, sizeof(*p));
}

int iam_simulate_principal_policy(struct aws_client *c, const char *arn,
                                  const char *const *actions, size_t nact,
                                  const char *const *resources, size_t nres,
                                  const char *marker, aws_result_cb cb,
                                  void *arg)
{
  struct jbuf b;
  int rc;
  jbuf_init(&b, JAN_POLICY_DOC_MAX);
  rc = jbuf_addstr(&b, "Action=SimulatePrincipalPolicy&Version=2010-05-08"
                       "&PolicySourceArn=");
  if(!rc)
    rc = wire_query_encode(arn, &b);
  for(size_t i = 0; !rc && i < nact; i++) {
    rc = jbuf_printf(&b, "&ActionNames.member.%zu=", i + 1);
    if(!rc)
      rc = wire_query_encode(actions[i], &b);
  }
  for(size_t i = 0; !rc && i < nres; i++) {
    rc = jbuf_printf(&b, "&ResourceArns.member.%zu=", i + 1);
    if(!rc)
      rc = wire_query_encode(resources[i], &b);
  }
  if(!rc && marker) {
    rc = jbuf_addstr(&b, "&Marker=");
    if(!rc)
      rc = wire_query_encode(marker, &b);
  }
  if(!rc) {
    struct aws_request r = {
      .service = AWS_SVC_IAM, .region = "us-east-1",
      .op = "SimulatePrincipalPolicy", .method = "POST", .path = "/",
      .content_type = "application/x-www-form-urlencoded; charset=utf-8",
      .body = b.ptr, .body_len = b.len
    };
    rc = aws_send_parsed(c, &r, sizeof(struct iam_simulate_page),
                         parse_simulate, free_simulate, cb, arg);
  }
  jbuf_free(&b);
  return rc;
}
