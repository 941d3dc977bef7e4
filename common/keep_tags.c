#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "janitor/keep_tags.h"
#include "janitor/log.h"
#include "janitor/perms.h"
#include "janitor/policy.h"
#include "janitor/services.h"

struct tag_reader {
  struct aws_client *aws;
  const struct jan_config *cfg;
  struct inventory *inv;
  void (*done)(void *arg);
  void *arg;
  size_t pending;               /* requests in flight, plus one while
                                   starting */
  size_t unknown;               /* candidates kept "tags-unknown" */
  char first[AWS_DESCRIBE_MAX + 128];  /* why the first one was */
};

struct tag_call {
  struct tag_reader *tr;
  size_t idx;
};

static void reader_unref(struct tag_reader *tr)
{
  if(--tr->pending)
    return;
  policy_follow_functions(tr->inv);
  if(tr->unknown)
    jlog_warn("policy", "keep_tag: the tags of %zu candidate%s could not be "
              "read (kept: tags-unknown), e.g. %s", tr->unknown,
              tr->unknown == 1 ? "" : "s", tr->first);
  tr->done(tr->arg);
  free(tr);
}

/* Kept "tags-unknown", with why on the item. */
static void unknown(struct tag_reader *tr, size_t idx,
                    const struct aws_response *r)
{
  struct inv_item *it = &tr->inv->items[idx];
  const char *op = it->kind == JAN_KIND_FUNCTION ? "ListTags"
                                                 : "GetBucketTagging";
  char msg[sizeof(tr->first)];

  if(r)
    aws_describe_error(r, op, msg, sizeof(msg));
  else
    snprintf(msg, sizeof(msg), "%s %s: cannot send the request", op,
             it->region);
  if(r && aws_error_is_access_denied(r))
    snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
             "; needs %s (see remotion-janitor --validate)",
             perm_action(it->kind == JAN_KIND_FUNCTION
                             ? PERM_LIST_TAGS : PERM_GET_BUCKET_TAGGING));
  if(!tr->unknown++)
    snprintf(tr->first, sizeof(tr->first), "%s", msg);
  free(it->error);
  it->error = strdup(msg);
  policy_decide_tags(it, tr->cfg, NULL);
}

static void tags_read(void *arg, const struct aws_response *r, void *res)
{
  struct tag_call *c = arg;
  struct tag_reader *tr = c->tr;
  if(res)
    policy_decide_tags(&tr->inv->items[c->idx], tr->cfg, res);
  else
    unknown(tr, c->idx, r);
  free(c);
  reader_unref(tr);
}

int keep_tags_read(struct aws_client *aws, const struct jan_config *cfg,
                   struct inventory *inv, void (*done)(void *arg),
                   void *arg)
{
  struct tag_reader *tr;
  size_t asked = 0;

  if(!cfg->keep_tag || !cfg->keep_tag[0])
    return 0;
  tr = calloc(1, sizeof(*tr));
  if(!tr) {
    /* Nothing can be read: every candidate that may carry tags is kept. */
    for(size_t i = 0; i < inv->n; i++)
      policy_decide_tags(&inv->items[i], cfg, NULL);
    policy_follow_functions(inv);
    return 0;
  }
  tr->aws = aws;
  tr->cfg = cfg;
  tr->inv = inv;
  tr->done = done;
  tr->arg = arg;
  tr->pending = 1;
  for(size_t i = 0; i < inv->n; i++) {
    struct inv_item *it = &inv->items[i];
    struct tag_call *c;
    int rc = JAN_ENOMEM;
    if(it->decision != INV_DELETE || !policy_tags_apply(cfg, it->kind))
      continue;
    asked++;
    c = malloc(sizeof(*c));
    if(c) {
      c->tr = tr;
      c->idx = i;
      tr->pending++;
      rc = it->kind == JAN_KIND_FUNCTION
         ? (it->arn ? lambda_list_tags(aws, it->region, it->arn, tags_read, c)
                    : JAN_EINVAL)
         : s3_get_bucket_tagging(aws, it->region, it->name, tags_read, c);
      if(rc) {
        tr->pending--;
        free(c);
      }
    }
    if(rc)
      unknown(tr, i, NULL);
  }
  jlog_debug("policy", "keep_tag: reading the tags of %zu candidate%s",
             asked, asked == 1 ? "" : "s");
  reader_unref(tr);
  return 1;
}
