/*
 * The bucket deletion machine (bucket.c) driven by scripted answers, no
 * network: the S3 calls it makes are answered here, in a random order,
 * from an in-memory bucket that changes as S3's would.  Each test names
 * what a user relies on: every version deleted exactly once and the bucket
 * removed, the ListObjectsV2 fallback (denied, 405, 501), a versioned
 * bucket that cannot be emptied without version permissions, objects that
 * appear while emptying (BucketNotEmpty, listed again), per-key errors
 * retried or reported, a bucket that vanished, a listing that fails, a
 * paging marker that goes back, and the website configuration removed only
 * once a page was listed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/bucket.h"
#include "janitor/err.h"
#include "janitor/services.h"

#include "fake_s3.h"

/* ---- the bucket ----------------------------------------------------------- */

struct obj {
  char key[64];
  char vid[16];
};

static struct {
  struct obj *o;
  size_t n, cap;
  int versioned;
  int exists;
  unsigned vseq;
  size_t page;                  /* entries a listing page */
  unsigned deleted_twice;       /* a delete of an entry already gone */
  unsigned deletes;             /* entries deleted */
  /* Scripted answers: the next calls of an operation fail so. */
  const char *fail_op;
  long fail_status;
  const char *fail_code;
  int fail_count;
  const char *key_error_code;   /* per-key error for the next batches */
  int key_error_batches;
  int add_during;               /* entries added while emptying */
  int marker_back;              /* a page that goes back */
  int v2_blind;                 /* ListObjectsV2 sees nothing (versions) */
  char ops[4096];               /* the operations, in order: "L L D W B" */
} B;

static uint64_t rs;
static uint32_t rnd(void)
{
  rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rs >> 33);
}

static int obj_cmp(const void *a, const void *b)
{
  const struct obj *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : strcmp(x->vid, y->vid);
}

static void put_unsorted(const char *key)
{
  if(B.n == B.cap) {
    B.cap = B.cap ? B.cap * 2 : 1024;
    B.o = realloc(B.o, B.cap * sizeof(*B.o));
    assert_non_null(B.o);
  }
  snprintf(B.o[B.n].key, sizeof(B.o[B.n].key), "%s", key);
  snprintf(B.o[B.n].vid, sizeof(B.o[B.n].vid), "%s",
           B.versioned ? "" : "null");
  if(B.versioned)
    snprintf(B.o[B.n].vid, sizeof(B.o[B.n].vid), "v%08u", B.vseq++);
  B.n++;
}

static void put(const char *key)
{
  put_unsorted(key);
  qsort(B.o, B.n, sizeof(*B.o), obj_cmp);
}

static void fill(size_t keys, int versions)
{
  char k[64];
  for(size_t i = 0; i < keys; i++) {
    snprintf(k, sizeof(k), "renders/%08x/chunk-%02u", rnd(), rnd() % 50);
    for(int v = 0; v < (B.versioned ? versions : 1); v++)
      put_unsorted(k);
  }
  qsort(B.o, B.n, sizeof(*B.o), obj_cmp);
}

static void reset(int versioned, size_t page)
{
  free(B.o);
  memset(&B, 0, sizeof(B));
  B.versioned = versioned;
  B.exists = 1;
  B.page = page;
}

static void note(const char *op)
{
  size_t l = strlen(B.ops);
  if(l + strlen(op) + 2 < sizeof(B.ops))
    snprintf(B.ops + l, sizeof(B.ops) - l, "%s%s", l ? " " : "", op);
}

static int erase(const char *key, const char *vid)
{
  size_t lo = 0, hi = B.n;
  while(lo < hi) {                      /* the first entry of the key */
    size_t mid = (lo + hi) / 2;
    if(strcmp(B.o[mid].key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for(size_t i = lo; i < B.n && !strcmp(B.o[i].key, key); i++)
    if(!strcmp(B.o[i].key, key) &&
       (!vid || !strcmp(B.o[i].vid, vid) ||
        (!B.versioned && !strcmp(vid, "null")))) {
      memmove(&B.o[i], &B.o[i + 1], (B.n - i - 1) * sizeof(*B.o));
      B.n--;
      return 1;
    }
  return 0;
}

/* ---- answering ------------------------------------------------------------ */

static void answer_list(struct fake_call *c, struct aws_response *r)
{
  struct wire_object_page p;
  size_t i = 0, size = 1 + rnd() % B.page;
  memset(&p, 0, sizeof(p));
  if(c->km) {
    while(i < B.n && strcmp(B.o[i].key, c->km) < 0)
      i++;
    while(i < B.n && !strcmp(B.o[i].key, c->km) &&
          (!c->vm || strcmp(B.o[i].vid, c->vm) <= 0))
      i++;
  }
  if(B.marker_back && c->km) {
    B.marker_back = 0;
    i = 0;                      /* a page from before the marker */
  }
  if(B.v2_blind && c->op == FAKE_LIST2)
    i = B.n;
  p.v = calloc(size, sizeof(*p.v));
  assert_non_null(p.v);
  if(!p.v)
    return;
  while(i < B.n && p.n < size) {
    if(c->op == FAKE_LIST2 && p.n && !strcmp(p.v[p.n - 1].key, B.o[i].key)) {
      i++;
      continue;
    }
    p.v[p.n].key = B.o[i].key;
    p.v[p.n].version_id = c->op == FAKE_LISTV ? B.o[i].vid : NULL;
    p.n++;
    i++;
  }
  p.truncated = i < B.n;
  if(p.truncated && p.n) {
    p.next_key_marker = p.v[p.n - 1].key;
    p.next_version_id_marker = p.v[p.n - 1].version_id;
  }
  c->cb(c->arg, r, &p);
  free(p.v);
}

static void answer_dels(struct fake_call *c, struct aws_response *r)
{
  struct wire_delete_result d;
  struct wire_delete_error errs[1000];
  memset(&d, 0, sizeof(d));
  memset(errs, 0, sizeof(errs));
  for(size_t i = 0; i < c->n; i++) {
    if(B.key_error_batches && i % 3 == 0) {
      errs[d.nerrors].key = c->objs[i].key;
      errs[d.nerrors].version_id = c->objs[i].version_id;
      snprintf(errs[d.nerrors].code, sizeof(errs[0].code), "%s",
               B.key_error_code);
      d.nerrors++;
      continue;
    }
    if(erase(c->objs[i].key, c->objs[i].version_id))
      B.deletes++;
    else
      B.deleted_twice++;
  }
  if(B.key_error_batches)
    B.key_error_batches--;
  d.errors = d.nerrors ? errs : NULL;
  c->cb(c->arg, r, &d);
}

/* Answer one call, chosen at random among those in flight. */
static void serve_one(void)
{
  struct aws_response r;
  struct fake_call c = fake_answer(rnd() % fake_ncalls, &r);

  note(fake_op_name(c.op));
  if(B.add_during && c.op == FAKE_DELS) {
    char key[64];
    B.add_during--;
    snprintf(key, sizeof(key), "late/%u", B.add_during);
    put(key);
  }
  if(!B.exists && c.op != FAKE_BUCKET) {
    fake_error(&r, 404, "NoSuchBucket");
    c.cb(c.arg, &r, NULL);
  }
  else if(B.fail_count && B.fail_op && !strcmp(B.fail_op, fake_op_name(c.op))) {
    B.fail_count--;
    fake_error(&r, B.fail_status, B.fail_code);
    c.cb(c.arg, &r, NULL);
  }
  else {
    switch(c.op) {
    case FAKE_LISTV:
    case FAKE_LIST2:
      answer_list(&c, &r);
      break;
    case FAKE_DELS:
      answer_dels(&c, &r);
      break;
    case FAKE_DEL1:
      erase(c.objs[0].key, c.objs[0].version_id);
      r.status = 204;
      c.cb(c.arg, &r, NULL);
      break;
    case FAKE_WEB:
      r.status = 204;
      c.cb(c.arg, &r, NULL);
      break;
    case FAKE_BUCKET:
      if(!B.exists) {
        fake_error(&r, 404, "NoSuchBucket");
      }
      else if(B.n) {
        fake_error(&r, 409, "BucketNotEmpty");
      }
      else {
        r.status = 204;
        B.exists = 0;
      }
      c.cb(c.arg, &r, NULL);
      break;
    }
  }
  fake_call_free(&c);
}

/* ---- running a job ---------------------------------------------------------- */

static struct bucket_outcome OUT;
static int DONE;

static void done_cb(void *arg, const struct bucket_outcome *o)
{
  (void)arg;
  OUT = *o;
  DONE++;
}

static void run(unsigned parallel)
{
  unsigned guard = 0;
  DONE = 0;
  memset(&OUT, 0, sizeof(OUT));
  assert_int_equal(bucket_delete_start(NULL, "eu-west-1",
                                       "remotionlambda-test-abc", parallel,
                                       done_cb, NULL, NULL), 0);
  while(fake_ncalls) {
    serve_one();
    assert_true(++guard < 100000);
  }
  assert_int_equal(DONE, 1);
}

static unsigned count_op(const char *op)
{
  unsigned n = 0;
  size_t l = strlen(op);
  for(const char *p = B.ops; (p = strstr(p, op)); p += l)
    if((p == B.ops || p[-1] == ' ') && (p[l] == ' ' || !p[l]))
      n++;
  return n;
}

static size_t pos_of(const char *op)
{
  const char *p = strstr(B.ops, op);
  return p ? (size_t)(p - B.ops) : (size_t)-1;
}

/* ---- the tests ---------------------------------------------------------------- */

static void test_versioned_bucket_each_version_once(void **state)
{
  (void)state;
  for(unsigned round = 0; round < 20; round++) {
    size_t total;
    rs = 1000 + round;
    reset(1, 1 + rnd() % 1000);
    fill(500 + rnd() % 3000, 1 + (int)(rnd() % 3));
    total = B.n;
    run(4 + rnd() % 16);
    assert_int_equal(OUT.err, 0);
    assert_false(OUT.already_gone);
    assert_int_equal(OUT.deleted, total);
    assert_int_equal(B.deletes, total);
    assert_int_equal(B.deleted_twice, 0);
    assert_int_equal(B.exists, 0);
    assert_int_equal(count_op("DeleteBucket"), 1);
    assert_int_equal(count_op("DeleteBucketWebsite"), 1);
    /* The website goes only after a listing page came back. */
    assert_true(pos_of("ListObjectVersions") < pos_of("DeleteBucketWebsite"));
  }
}

static void fallback(long status, const char *code)
{
  rs = 7;
  reset(0, 700);
  fill(3000, 1);
  B.fail_op = "ListObjectVersions";
  B.fail_status = status;
  B.fail_code = code;
  B.fail_count = 1;
  run(8);
  assert_int_equal(OUT.err, 0);
  assert_int_equal(OUT.deleted, 3000);
  assert_int_equal(B.exists, 0);
  assert_int_equal(count_op("ListObjectVersions"), 1);
  assert_true(count_op("ListObjectsV2") >= 5);
}

static void test_fallback_to_list_objects_v2(void **state)
{
  (void)state;
  fallback(403, "AccessDenied");
  fallback(405, "MethodNotAllowed");
  fallback(501, "NotImplemented");
}

static void test_versioned_without_version_permissions(void **state)
{
  (void)state;
  rs = 8;
  reset(1, 1000);
  fill(10, 2);
  /* Versions cannot be listed, and ListObjectsV2 sees no current object
   * (all of them noncurrent versions): nothing listed, BucketNotEmpty. */
  B.fail_op = "ListObjectVersions";
  B.fail_status = 403;
  B.fail_code = "AccessDenied";
  B.fail_count = 1000;
  B.v2_blind = 1;
  run(4);
  assert_int_equal(OUT.err, JAN_EDENIED);
  assert_non_null(strstr(OUT.error, "is versioned"));
  assert_non_null(strstr(OUT.error, "s3:ListBucketVersions"));
  assert_int_equal(count_op("DeleteBucket"), 1);
  assert_int_equal(B.n, 20);
}

static void test_objects_appearing_are_listed_again(void **state)
{
  (void)state;
  rs = 9;
  reset(0, 500);
  fill(2000, 1);
  B.add_during = 3;
  run(8);
  assert_int_equal(OUT.err, 0);
  assert_int_equal(OUT.deleted, 2003);
  assert_int_equal(B.exists, 0);
  assert_true(count_op("DeleteBucket") >= 2);   /* BucketNotEmpty, then ok */
}

static void test_transient_key_errors_retried(void **state)
{
  (void)state;
  rs = 10;
  reset(1, 1000);
  fill(2500, 1);
  B.key_error_code = "SlowDown";
  B.key_error_batches = 2;
  run(8);
  assert_int_equal(OUT.err, 0);
  assert_int_equal(B.exists, 0);
  assert_int_equal(B.deleted_twice, 0);
}

static void test_permanent_key_errors_fail(void **state)
{
  (void)state;
  rs = 11;
  reset(1, 1000);
  fill(1200, 1);
  B.key_error_code = "AccessDenied";
  B.key_error_batches = 1000;
  run(8);
  assert_int_not_equal(OUT.err, 0);
  assert_string_equal(OUT.code, "AccessDenied");
  assert_non_null(strstr(OUT.error, "could not be deleted"));
  assert_non_null(strstr(OUT.error, "s3:DeleteObjectVersion"));
  assert_int_equal(count_op("DeleteBucket"), 0);
  assert_int_equal(B.exists, 1);
}

/* A denied key stops the emptying while pages are still to come: the
 * bucket's error is that key's, never "the listing stopped" (the engine
 * stopped the listing because of it), whatever order the answers take. */
static void test_denied_key_mid_listing_names_the_key(void **state)
{
  (void)state;
  for(unsigned seed = 30; seed < 40; seed++) {
    rs = seed;
    reset(1, 1000);
    fill(6000, 1);
    B.key_error_code = "AccessDenied";
    B.key_error_batches = 1000;
    run(8);
    assert_int_not_equal(OUT.err, 0);
    assert_string_equal(OUT.code, "AccessDenied");
    assert_non_null(strstr(OUT.error, "could not be deleted"));
    assert_int_equal(count_op("DeleteBucket"), 0);
  }
}

static void test_vanished_bucket_is_gone(void **state)
{
  (void)state;
  rs = 12;
  reset(1, 1000);
  fill(100, 1);
  B.exists = 0;
  run(4);
  assert_int_equal(OUT.err, 0);
  assert_true(OUT.already_gone);
  assert_int_equal(count_op("DeleteBucketWebsite"), 0);
}

static void test_failed_listing_leaves_the_bucket_as_it_was(void **state)
{
  (void)state;
  rs = 13;
  reset(1, 1000);
  fill(100, 1);
  B.fail_op = "ListObjectVersions";
  B.fail_status = 500;
  B.fail_code = "InternalError";
  B.fail_count = 1000;
  run(4);
  assert_int_equal(OUT.err, JAN_EAWS);
  assert_non_null(strstr(OUT.error, "ListObjectVersions"));
  assert_int_equal(count_op("DeleteBucketWebsite"), 0);
  assert_int_equal(count_op("DeleteObjects"), 0);
  assert_int_equal(count_op("DeleteBucket"), 0);
  assert_int_equal(B.n, 100);
}

static void test_marker_going_back_fails(void **state)
{
  (void)state;
  rs = 14;
  reset(1, 10);
  fill(100, 1);
  B.marker_back = 1;
  run(1);
  assert_int_equal(OUT.err, JAN_EPARSE);
  assert_non_null(strstr(OUT.error, "the listing failed: a page went back"));
  assert_int_equal(count_op("DeleteBucket"), 0);
}

static void test_outside_scope_refused(void **state)
{
  (void)state;
  fake_reset();
  assert_int_equal(bucket_delete_start(NULL, "eu-west-1", "somebody-else",
                                       4, done_cb, NULL, NULL), JAN_ESCOPE);
  assert_int_equal(fake_ncalls, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_versioned_bucket_each_version_once),
    cmocka_unit_test(test_fallback_to_list_objects_v2),
    cmocka_unit_test(test_versioned_without_version_permissions),
    cmocka_unit_test(test_objects_appearing_are_listed_again),
    cmocka_unit_test(test_transient_key_errors_retried),
    cmocka_unit_test(test_permanent_key_errors_fail),
    cmocka_unit_test(test_denied_key_mid_listing_names_the_key),
    cmocka_unit_test(test_vanished_bucket_is_gone),
    cmocka_unit_test(test_failed_listing_leaves_the_bucket_as_it_was),
    cmocka_unit_test(test_marker_going_back_fails),
    cmocka_unit_test(test_outside_scope_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
