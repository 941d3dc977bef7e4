/*
 * The bulk S3 engine (s3bulk.c) driven by scripted answers, no network:
 * the S3 calls it makes are answered here, in a random order, from an
 * in-memory bucket.  What an owner relies on: every listed entry handed
 * over once and every key told once; the ListObjectsV2 fallback on 405,
 * 501 and a denial, only on the first request; a listing that fails midway
 * told once, with the permission to ask for; per-key transient errors
 * retried, permanent ones told; SlowDown keys, retried batches and a batch
 * that timed out all halve the batches at once (one rule); a key XML cannot
 * carry sent alone; a key-only delete that added a marker told hidden; a
 * stop tells the waiting keys unsent; a key the owner refuses never sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/aws_decide.h"
#include "janitor/err.h"
#include "janitor/s3bulk.h"
#include "janitor/services.h"

#include "fake_s3.h"

/* ---- the bucket ------------------------------------------------------- */

#define NKEYS_MAX 20000

static struct {
  char key[NKEYS_MAX][40];
  size_t n;
  size_t page;
  unsigned char deleted[NKEYS_MAX];
  unsigned deleted_twice;
  /* Scripted answers. */
  long listv_status;            /* ListObjectVersions answers this */
  const char *listv_code;
  int list_fail_after;          /* pages, then the listing fails (0: no) */
  const char *key_code;         /* per-key error for ... */
  int key_code_batches;         /* ... this many batches */
  int slow_batches;             /* answered after retries */
  int timeout_batches;          /* fail with JAN_ETIMEDOUT */
  int markers;                  /* key-only deletes add markers */
  unsigned pages;
} B;


static void reset(size_t n, size_t page)
{
  memset(&B, 0, sizeof(B));
  fake_reset();
  B.n = n;
  B.page = page;
  for(size_t i = 0; i < n; i++)
    snprintf(B.key[i], sizeof(B.key[i]), "renders/r%06zu/c", i);
  fake_seed(42);
}

static char NULLVID[] = "null", MARKER[] = "m1", KEY[] = "k";

static size_t find(const char *key)
{
  for(size_t i = 0; i < B.n; i++)
    if(!strcmp(B.key[i], key))
      return i;
  return SIZE_MAX;
}

/* ---- answering -------------------------------------------------------- */

static void answer_list(struct fake_call *c, struct aws_response *r)
{
  struct wire_object_page p;
  size_t i = 0, size = 1 + fake_rnd() % B.page;
  memset(&p, 0, sizeof(p));
  if(c->op == FAKE_LISTV && B.listv_status) {
    fake_error(r, B.listv_status, B.listv_code ? B.listv_code : "");
    c->cb(c->arg, r, NULL);
    return;
  }
  if(B.list_fail_after && B.pages >= (unsigned)B.list_fail_after) {
    fake_error(r, 403, "AccessDenied");
    c->cb(c->arg, r, NULL);
    return;
  }
  B.pages++;
  if(c->km)
    while(i < B.n && strcmp(B.key[i], c->km) <= 0)
      i++;
  p.v = calloc(size, sizeof(*p.v));
  assert_non_null(p.v);
  while(i < B.n && p.n < size) {
    p.v[p.n].key = B.key[i];
    p.v[p.n].version_id = c->op == FAKE_LISTV ? NULLVID : NULL;
    p.v[p.n].size = 1;
    p.n++;
    i++;
  }
  p.truncated = i < B.n;
  if(p.truncated && p.n)
    p.next_key_marker = p.v[p.n - 1].key;
  c->cb(c->arg, r, &p);
  free(p.v);
}

static void erase(const char *key)
{
  size_t i = find(key);
  assert_true(i != SIZE_MAX);
  if(B.deleted[i])
    B.deleted_twice++;
  B.deleted[i] = 1;
}

static void answer_dels(struct fake_call *c, struct aws_response *r)
{
  struct wire_delete_result d;
  struct wire_delete_error errs[S3BULK_BATCH_MAX];
  struct wire_delete_marker mk[S3BULK_BATCH_MAX];
  memset(&d, 0, sizeof(d));
  memset(errs, 0, sizeof(errs));
  memset(mk, 0, sizeof(mk));
  if(B.timeout_batches) {
    B.timeout_batches--;
    r->err = JAN_ETIMEDOUT;
    r->status = 0;
    r->attempts = 1;
    c->cb(c->arg, r, NULL);
    return;
  }
  if(B.slow_batches) {
    B.slow_batches--;
    r->attempts = 3;            /* SlowDown twice, then 200 */
  }
  for(size_t i = 0; i < c->n; i++) {
    if(B.key_code_batches && i % 3 == 0) {
      errs[d.nerrors].key = c->objs[i].key;
      errs[d.nerrors].version_id = c->objs[i].version_id;
      snprintf(errs[d.nerrors].code, sizeof(errs[0].code), "%s", B.key_code);
      d.nerrors++;
      continue;
    }
    if(B.markers && !c->objs[i].version_id) {
      mk[d.nmarkers].key = c->objs[i].key;
      mk[d.nmarkers].marker_version_id = MARKER;
      d.nmarkers++;
      continue;
    }
    erase(c->objs[i].key);
  }
  if(B.key_code_batches)
    B.key_code_batches--;
  d.errors = d.nerrors ? errs : NULL;
  d.markers = d.nmarkers ? mk : NULL;
  c->cb(c->arg, r, &d);
}

static void answer_del1(struct fake_call *c, struct aws_response *r)
{
  erase(c->objs[0].key);
  r->status = 204;
  c->cb(c->arg, r, NULL);
}

static void serve_one(void)
{
  static const struct fake_answerers a = { .op = {
    [FAKE_LISTV] = answer_list, [FAKE_LIST2] = answer_list,
    [FAKE_DELS] = answer_dels, [FAKE_DEL1] = answer_del1 } };
  fake_serve_one(&a);
}

/* ---- an owner: deletes what it lists (or what it is given) ------------- */

static struct {
  struct s3bulk *b;
  int delete_listed;
  uint64_t listed;
  unsigned listed_told;
  struct s3bulk_list_outcome lo;
  unsigned told[NKEYS_MAX];
  unsigned result[S3BULK_KEY_UNSENT + 1];
  char first_code[64];
  int stop_on_hidden;
  unsigned drained;
  size_t feed_next, feed_n;     /* refill: keys 0..feed_n */
  const char *refuse;           /* may_delete refuses keys with this */
  unsigned min_limit;
} O;

static int o_entries(void *arg, const struct wire_object *v, size_t n)
{
  (void)arg;
  O.listed += n;
  for(size_t i = 0; i < n && O.delete_listed; i++)
    if(s3bulk_delete(O.b, v[i].key, v[i].version_id, find(v[i].key)))
      return JAN_ENOMEM;
  return 0;
}

static void o_listed(void *arg, const struct s3bulk_list_outcome *o)
{
  (void)arg;
  O.lo = *o;
  O.listed_told++;
}

static void o_key(void *arg, const struct s3bulk_key *k)
{
  (void)arg;
  assert_true(k->tag < NKEYS_MAX);
  O.told[k->tag]++;
  O.result[k->result]++;
  if(k->result == S3BULK_KEY_FAILED && !O.first_code[0])
    snprintf(O.first_code, sizeof(O.first_code), "%s", k->code);
  if(k->result == S3BULK_KEY_HIDDEN && O.stop_on_hidden)
    s3bulk_stop(O.b);
  if(s3bulk_batch_limit(O.b) < O.min_limit)
    O.min_limit = s3bulk_batch_limit(O.b);
}

static size_t o_refill(void *arg, size_t room)
{
  size_t n = 0;
  (void)arg;
  while(n < room && O.feed_next < O.feed_n) {
    assert_int_equal(s3bulk_delete(O.b, B.key[O.feed_next], NULL,
                                   O.feed_next), 0);
    O.feed_next++;
    n++;
  }
  return n;
}

static int o_may_delete(void *arg, const char *key)
{
  (void)arg;
  return !O.refuse || !strstr(key, O.refuse);
}

static void o_drained(void *arg)
{
  (void)arg;
  O.drained++;
}

static void owner_new(unsigned parallel, int refill)
{
  struct s3bulk_ops ops = { .entries = o_entries, .listed = o_listed,
                            .key_done = o_key, .drained = o_drained,
                            .may_delete = o_may_delete };
  memset(&O, 0, sizeof(O));
  O.min_limit = 1000;
  if(refill)
    ops.refill = o_refill;
  assert_int_equal(s3bulk_new(NULL, "eu-west-1", "remotionlambda-t",
                              parallel, &ops, NULL, &O.b), 0);
}

static void serve_all(void)
{
  unsigned guard = 0;
  while(fake_ncalls) {
    serve_one();
    assert_true(++guard < 200000);
  }
  assert_false(s3bulk_busy(O.b));
  assert_int_equal(O.drained, 1);
  s3bulk_free(O.b);
}

/* The owner hands over keys 0..n through refill, all of them answered. */
static void feed_and_serve(size_t n, unsigned parallel)
{
  owner_new(parallel, 1);
  O.feed_n = n;
  s3bulk_kick(O.b);
  serve_all();
}

static unsigned told_once(size_t n)
{
  unsigned bad = 0;
  for(size_t i = 0; i < n; i++)
    bad += O.told[i] != 1;
  return bad;
}

/* ---- the tests --------------------------------------------------------- */

static void test_list_and_delete_everything_once(void **state)
{
  (void)state;
  reset(12345, 1000);
  owner_new(8, 0);
  O.delete_listed = 1;
  assert_int_equal(s3bulk_list(O.b, 1), 0);
  serve_all();
  assert_int_equal(O.listed_told, 1);
  assert_int_equal(O.lo.err, 0);
  assert_true(O.lo.versions);
  assert_int_equal(O.lo.entries, 12345);
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 12345);
  assert_int_equal(told_once(12345), 0);
  assert_int_equal(B.deleted_twice, 0);
  assert_true(fake_deletes_max <= 8);
  assert_int_equal(fake_made[FAKE_LIST2], 0);
}

static void fallback(long status, const char *code)
{
  reset(3000, 1000);
  B.listv_status = status;
  B.listv_code = code;
  owner_new(4, 0);
  O.delete_listed = 1;
  assert_int_equal(s3bulk_list(O.b, 1), 0);
  serve_all();
  assert_int_equal(O.lo.err, 0);
  assert_false(O.lo.versions);
  assert_int_equal(fake_made[FAKE_LISTV], 1);           /* the first request only */
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 3000);
  assert_int_equal(told_once(3000), 0);
}

static void test_fallback_405_501_denied(void **state)
{
  (void)state;
  fallback(405, "MethodNotAllowed");
  fallback(501, "NotImplemented");
  fallback(403, "AccessDenied");
}

static void test_listing_failing_midway(void **state)
{
  (void)state;
  reset(20000, 1000);
  B.list_fail_after = 5;
  owner_new(4, 0);
  O.delete_listed = 1;
  assert_int_equal(s3bulk_list(O.b, 0), 0);
  serve_all();
  assert_int_equal(O.listed_told, 1);
  assert_int_equal(O.lo.err, JAN_EAWS);
  assert_non_null(strstr(O.lo.error, "needs s3:ListBucket"));
  assert_string_equal(O.lo.code, "AccessDenied");
  assert_true(O.listed < 20000);
  /* What was listed is told, once each (deleted: nobody stopped). */
  assert_int_equal(O.result[S3BULK_KEY_DELETED], O.listed);
  assert_int_equal(fake_made[FAKE_LIST2] >= 6, 1);
}

static void test_transient_key_errors_retried(void **state)
{
  (void)state;
  reset(5000, 1000);
  B.key_code = "InternalError";
  B.key_code_batches = 3;
  owner_new(4, 0);
  O.delete_listed = 1;
  assert_int_equal(s3bulk_list(O.b, 1), 0);
  serve_all();
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 5000);
  assert_int_equal(O.result[S3BULK_KEY_FAILED], 0);
  assert_int_equal(told_once(5000), 0);
}

static void test_permanent_key_errors_told(void **state)
{
  (void)state;
  reset(900, 1000);
  B.key_code = "AccessDenied";
  B.key_code_batches = 1000;
  feed_and_serve(900, 4);
  assert_int_equal(O.result[S3BULK_KEY_FAILED], 300);
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 600);
  assert_string_equal(O.first_code, "AccessDenied");
  assert_int_equal(told_once(900), 0);
}

static void test_slowdown_keys_halve_the_batches(void **state)
{
  (void)state;
  reset(20000, 1000);
  B.key_code = "SlowDown";
  B.key_code_batches = 6;
  feed_and_serve(20000, 16);
  assert_true(O.min_limit < 16);
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 20000);
  assert_int_equal(told_once(20000), 0);
}

static void test_retried_or_timed_out_batches_slow_down(void **state)
{
  (void)state;
  /* The rule itself. */
  assert_int_equal(s3bulk_pace(16, 16, 1), 8);
  assert_int_equal(s3bulk_pace(1, 16, 1), 1);
  assert_int_equal(s3bulk_pace(8, 16, 0), 9);
  assert_int_equal(s3bulk_pace(16, 16, 0), 16);
  {
    struct aws_response r;
    struct wire_delete_error e = { .key = KEY };
    struct wire_delete_result d = { .errors = &e, .nerrors = 1 };
    memset(&r, 0, sizeof(r));
    r.attempts = 1;
    assert_false(s3bulk_answer_slow(&r, NULL));
    r.attempts = 2;                         /* SlowDown, then 200 */
    assert_true(s3bulk_answer_slow(&r, NULL));
    r.attempts = 1;
    r.err = JAN_ETIMEDOUT;                  /* radosgw's slow batch */
    assert_true(s3bulk_answer_slow(&r, NULL));
    r.err = 0;
    snprintf(e.code, sizeof(e.code), "SlowDown");
    assert_true(s3bulk_answer_slow(&r, &d));
    snprintf(e.code, sizeof(e.code), "AccessDenied");
    assert_false(s3bulk_answer_slow(&r, &d));
  }
  /* Through the engine: retried batches, and batches that time out (their
   * keys retried: RequestTimeout-like, transient). */
  reset(20000, 1000);
  B.slow_batches = 4;
  feed_and_serve(20000, 16);
  assert_true(O.min_limit < 16);
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 20000);

  reset(20000, 1000);
  B.timeout_batches = 4;
  feed_and_serve(20000, 16);
  assert_true(O.min_limit < 16);
  assert_int_equal(told_once(20000), 0);
}

static void test_unsafe_key_alone_and_refused_key_never_sent(void **state)
{
  (void)state;
  reset(10, 1000);
  snprintf(B.key[3], sizeof(B.key[3]), "renders/r000003/\x01x");
  snprintf(B.key[5], sizeof(B.key[5]), "sites/s/index.html");
  owner_new(4, 1);
  O.feed_n = 10;
  O.refuse = "sites/";
  s3bulk_kick(O.b);
  serve_all();
  assert_int_equal(fake_made[FAKE_DEL1], 1);
  assert_int_equal(B.deleted[3], 1);
  assert_int_equal(B.deleted[5], 0);
  assert_int_equal(O.result[S3BULK_KEY_FAILED], 1);
  assert_int_equal(O.result[S3BULK_KEY_DELETED], 9);
  assert_int_equal(told_once(10), 0);
}

static void test_marker_told_hidden_and_stop_tells_unsent(void **state)
{
  (void)state;
  reset(5000, 1000);
  B.markers = 1;
  owner_new(4, 1);
  O.feed_n = 5000;
  O.stop_on_hidden = 1;
  s3bulk_kick(O.b);
  serve_all();
  assert_true(O.result[S3BULK_KEY_HIDDEN] >= 1);
  assert_true(O.result[S3BULK_KEY_UNSENT] >= 1);
  assert_int_equal(O.result[S3BULK_KEY_HIDDEN] +
                   O.result[S3BULK_KEY_UNSENT], O.feed_next);
  assert_int_equal(told_once(O.feed_next), 0);
}

/* A kill: the engine freed mid-operation, listing pages and batches
 * out; their answers then come (and delete what they deleted) but reach
 * nobody; a new engine over the same bucket, started while those answers
 * are still coming, finishes the job: every key gone, each key the new
 * owner hands over told once, nothing told to the old one after the
 * free.  Under ASan: no leak, no use after free. */
static void test_kill_and_restart(void **state)
{
  (void)state;
  for(uint64_t seed = 1; seed <= 5; seed++) {
    unsigned before[S3BULK_KEY_UNSENT + 1], served = 0, guard = 0;
    uint64_t listed_before;
    size_t orphans;
    reset(12000, 1000);
    fake_seed(seed);
    owner_new(8, 0);
    O.delete_listed = 1;
    assert_int_equal(s3bulk_list(O.b, 1), 0);
    /* Run until batches and pages are out together. */
    while(fake_ncalls && (fake_made[FAKE_DELS] < 3 || !fake_made[FAKE_LISTV] ||
                          served < 8)) {
      serve_one();
      served++;
      assert_true(++guard < 100000);
    }
    orphans = fake_ncalls;
    assert_true(orphans > 0);
    assert_true(s3bulk_busy(O.b));
    memcpy(before, O.result, sizeof(before));
    listed_before = O.listed;
    s3bulk_free(O.b);                           /* the kill */
    O.b = NULL;
    /* Half the orphans answered before the restart, the rest after. */
    for(size_t i = 0; i < orphans / 2; i++)
      serve_one();
    assert_memory_equal(before, O.result, sizeof(before));
    assert_int_equal(O.listed, listed_before);
    assert_int_equal(O.drained, 0);
    /* The restart: a new owner, a new engine, the same bucket. */
    owner_new(8, 0);
    O.delete_listed = 1;
    assert_int_equal(s3bulk_list(O.b, 1), 0);
    serve_all();
    assert_int_equal(O.lo.err, 0);
    for(size_t i = 0; i < B.n; i++)
      assert_true(B.deleted[i]);
    assert_int_equal(O.result[S3BULK_KEY_FAILED], 0);
    assert_int_equal(O.result[S3BULK_KEY_DELETED], O.listed);
    {
      unsigned bad = 0;
      for(size_t i = 0; i < B.n; i++)
        bad += O.told[i] > 1;
      assert_int_equal(bad, 0);
    }
  }
}

static void test_permission_hint(void **state)
{
  char h[256];
  (void)state;
  assert_string_equal(s3bulk_key_hint("AccessDenied", 1, h, sizeof(h)),
                      "; needs s3:DeleteObjectVersion (see remotion-janitor "
                      "--validate)");
  assert_string_equal(s3bulk_key_hint("AccessDenied", 0, h, sizeof(h)),
                      "; needs s3:DeleteObject (see remotion-janitor "
                      "--validate)");
  assert_string_equal(s3bulk_key_hint("InternalError", 0, h, sizeof(h)), "");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_list_and_delete_everything_once),
    cmocka_unit_test(test_fallback_405_501_denied),
    cmocka_unit_test(test_listing_failing_midway),
    cmocka_unit_test(test_transient_key_errors_retried),
    cmocka_unit_test(test_permanent_key_errors_told),
    cmocka_unit_test(test_slowdown_keys_halve_the_batches),
    cmocka_unit_test(test_retried_or_timed_out_batches_slow_down),
    cmocka_unit_test(test_unsafe_key_alone_and_refused_key_never_sent),
    cmocka_unit_test(test_marker_told_hidden_and_stop_tells_unsent),
    cmocka_unit_test(test_kill_and_restart),
    cmocka_unit_test(test_permission_hint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
