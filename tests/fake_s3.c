/* The scripted S3 of fake_s3.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_s3.h"

struct fake_call fake_calls[FAKE_CALLS_MAX];
size_t fake_ncalls;
unsigned fake_made[FAKE_OPS];
unsigned fake_deletes_max;

const char *fake_op_name(enum fake_op op)
{
  static const char *const names[FAKE_OPS] = {
    "ListObjectVersions", "ListObjectsV2", "DeleteObjects", "DeleteObject",
    "DeleteBucketWebsite", "DeleteBucket"
  };
  return (unsigned)op < FAKE_OPS ? names[op] : "?";
}

static unsigned deletes_queued(void)
{
  unsigned n = 0;
  for(size_t i = 0; i < fake_ncalls; i++)
    n += fake_calls[i].op == FAKE_DELS || fake_calls[i].op == FAKE_DEL1;
  return n;
}

static int enqueue(enum fake_op op, const char *km, const char *vm,
                   const struct wire_object *objs, size_t n,
                   aws_result_cb cb, void *arg)
{
  struct fake_call *c;
  assert_true(fake_ncalls < FAKE_CALLS_MAX);
  c = &fake_calls[fake_ncalls++];
  memset(c, 0, sizeof(*c));
  c->op = op;
  c->km = km ? strdup(km) : NULL;
  c->vm = vm ? strdup(vm) : NULL;
  if(n) {
    c->objs = calloc(n, sizeof(*c->objs));
    assert_non_null(c->objs);
    for(size_t i = 0; i < n; i++) {
      c->objs[i].key = strdup(objs[i].key);
      c->objs[i].version_id = objs[i].version_id
                              ? strdup(objs[i].version_id) : NULL;
    }
    c->n = n;
  }
  c->cb = cb;
  c->arg = arg;
  fake_made[op]++;
  if(deletes_queued() > fake_deletes_max)
    fake_deletes_max = deletes_queued();
  return 0;
}

struct fake_call fake_take(size_t k)
{
  struct fake_call c;
  assert_true(k < fake_ncalls);
  c = fake_calls[k];
  fake_calls[k] = fake_calls[--fake_ncalls];
  return c;
}

struct fake_call fake_answer(size_t k, struct aws_response *r)
{
  memset(r, 0, sizeof(*r));
  r->status = 200;
  r->attempts = 1;
  return fake_take(k);
}

void fake_call_free(struct fake_call *c)
{
  for(size_t i = 0; i < c->n; i++) {
    free(c->objs[i].key);
    free(c->objs[i].version_id);
  }
  free(c->objs);
  free(c->km);
  free(c->vm);
  memset(c, 0, sizeof(*c));
}

void fake_error(struct aws_response *r, long status, const char *code)
{
  r->err = JAN_EAWS;
  r->status = status;
  snprintf(r->e.code, sizeof(r->e.code), "%s", code);
  snprintf(r->e.message, sizeof(r->e.message), "scripted %s", code);
}

static uint64_t fake_rs;

void fake_seed(uint64_t seed)
{
  fake_rs = seed;
}

uint32_t fake_rnd(void)
{
  fake_rs = fake_rs * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(fake_rs >> 33);
}

void fake_serve_one(const struct fake_answerers *a)
{
  struct aws_response r;
  struct fake_call c = fake_answer(fake_rnd() % fake_ncalls, &r);

  snprintf(r.request_id, sizeof(r.request_id), "req-1");
  if((unsigned)c.op >= FAKE_OPS || !a->op[c.op])
    fail_msg("never sent: %s", fake_op_name(c.op));
  else
    a->op[c.op](&c, &r);
  fake_call_free(&c);
}

void fake_reset(void)
{
  while(fake_ncalls) {
    struct fake_call c = fake_take(0);
    fake_call_free(&c);
  }
  memset(fake_made, 0, sizeof(fake_made));
  fake_deletes_max = 0;
}

int s3_list_object_versions(struct aws_client *c, const char *region,
                            const char *bucket, const char *key_marker,
                            const char *version_marker, aws_result_cb cb,
                            void *arg)
{
  (void)c; (void)region; (void)bucket;
  return enqueue(FAKE_LISTV, key_marker, version_marker, NULL, 0, cb, arg);
}

int s3_list_objects_v2(struct aws_client *c, const char *region,
                       const char *bucket, const char *token,
                       const char *start_after, aws_result_cb cb, void *arg)
{
  (void)c; (void)region; (void)bucket;
  assert_null(token);           /* the lister pages with start-after */
  return enqueue(FAKE_LIST2, start_after, NULL, NULL, 0, cb, arg);
}

int s3_delete_objects(struct aws_client *c, const char *region,
                      const char *bucket, const struct wire_object *objs,
                      size_t n, aws_result_cb cb, void *arg)
{
  (void)c; (void)region; (void)bucket;
  assert_true(n >= 1 && n <= 1000);
  for(size_t i = 0; i < n; i++)
    assert_true(wire_s3_key_xml_safe(objs[i].key));
  return enqueue(FAKE_DELS, NULL, NULL, objs, n, cb, arg);
}

int s3_delete_object(struct aws_client *c, const char *region,
                     const char *bucket, const char *key,
                     const char *version_id, aws_result_cb cb, void *arg)
{
  char *k = strdup(key), *v = version_id ? strdup(version_id) : NULL;
  struct wire_object o = { .key = k, .version_id = v };
  int rc;
  (void)c; (void)region; (void)bucket;
  rc = enqueue(FAKE_DEL1, NULL, NULL, &o, 1, cb, arg);
  free(k);
  free(v);
  return rc;
}

int s3_delete_bucket_website(struct aws_client *c, const char *region,
                             const char *bucket, aws_result_cb cb, void *arg)
{
  (void)c; (void)region; (void)bucket;
  return enqueue(FAKE_WEB, NULL, NULL, NULL, 0, cb, arg);
}

int s3_delete_bucket(struct aws_client *c, const char *region,
                     const char *bucket, aws_result_cb cb, void *arg)
{
  (void)c; (void)region; (void)bucket;
  return enqueue(FAKE_BUCKET, NULL, NULL, NULL, 0, cb, arg);
}
