/*
 * Streaming render decisions (prune.c over render.c's render_stream),
 * driven by the scripted S3 of fake_s3.c, no network, calls answered in a
 * random order: renders whose keys straddle the ranges of the ranged
 * listing decided whole, each once; a render that gains a young object
 * between the counting pass and the deleting pass keeps it (appeared) and
 * loses only what was decided; props pruned by their own age; a listing
 * that fails midway deletes nothing, and a deleting pass that breaks off
 * claims no render it did not finish; the bucket's figures after the
 * pruning, from the deleting pass alone, are what the bucket holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/config.h"
#include "janitor/err.h"
#include "janitor/prune.h"
#include "janitor/render.h"
#include "janitor/services.h"

#include "fake_s3.h"

#define NOW 1800000000
#define DAY 86400
#define BUCKET "remotionlambda-euwest1-prune0001"
#define NOBJ_MAX 30000

/* The probe is never asked for here (versions are listed). */
int s3_head_object(struct aws_client *c, const char *region,
                   const char *bucket, const char *key, aws_result_cb cb,
                   void *arg)
{
  (void)c; (void)region; (void)bucket; (void)key; (void)cb; (void)arg;
  fail_msg("HeadObject sent");
  return JAN_EINVAL;
}

/* ---- the bucket --------------------------------------------------------- */

struct fobj {
  char key[64];
  int64_t mtime, size;
  int deleted;
};

static struct {
  struct fobj o[NOBJ_MAX];
  size_t n;
  size_t page;
  int list_fail_after;          /* pages, then every listing fails */
  unsigned pages;
  unsigned deleted_twice;
} B;


static int fobj_cmp(const void *a, const void *b)
{
  return strcmp(((const struct fobj *)a)->key, ((const struct fobj *)b)->key);
}

static void put(const char *key, int64_t age_days, int64_t size)
{
  struct fobj *o;
  assert_true(B.n < NOBJ_MAX);
  o = &B.o[B.n++];
  memset(o, 0, sizeof(*o));
  snprintf(o->key, sizeof(o->key), "%s", key);
  o->mtime = NOW - age_days * DAY;
  o->size = size;
  qsort(B.o, B.n, sizeof(*B.o), fobj_cmp);
}

/* nr renders of per objects each (out.mp4 the output), all age days. */
static void put_renders(const char *prefix, size_t nr, size_t per,
                        int64_t age)
{
  for(size_t r = 0; r < nr; r++)
    for(size_t i = 0; i < per; i++) {
      struct fobj *o;
      assert_true(B.n < NOBJ_MAX);
      o = &B.o[B.n++];
      memset(o, 0, sizeof(*o));
      if(i == 0)
        snprintf(o->key, sizeof(o->key), "renders/%s%05zu/out.mp4", prefix,
                 r);
      else
        snprintf(o->key, sizeof(o->key), "renders/%s%05zu/chunk-%04zu",
                 prefix, r, i);
      o->mtime = NOW - age * DAY;
      o->size = 10;
    }
  qsort(B.o, B.n, sizeof(*B.o), fobj_cmp);
}

static void reset(size_t page, uint64_t seed)
{
  memset(&B, 0, sizeof(B));
  fake_reset();
  B.page = page;
  fake_seed(seed);
}

static size_t left(const char *prefix)
{
  size_t n = 0;
  for(size_t i = 0; i < B.n; i++)
    n += !B.o[i].deleted && !strncmp(B.o[i].key, prefix, strlen(prefix));
  return n;
}

static char NULLVID[] = "null";

static void answer_list(struct fake_call *c, struct aws_response *r)
{
  struct wire_object_page p;
  size_t i = 0, size = 1 + fake_rnd() % B.page;
  memset(&p, 0, sizeof(p));
  if(B.list_fail_after && B.pages >= (unsigned)B.list_fail_after) {
    fake_error(r, 500, "InternalError");
    c->cb(c->arg, r, NULL);
    return;
  }
  B.pages++;
  if(c->km)
    while(i < B.n && strcmp(B.o[i].key, c->km) <= 0)
      i++;
  p.v = calloc(size, sizeof(*p.v));
  assert_non_null(p.v);
  while(i < B.n && p.n < size) {
    if(!B.o[i].deleted) {
      p.v[p.n].key = B.o[i].key;
      p.v[p.n].version_id = c->op == FAKE_LISTV ? NULLVID : NULL;
      p.v[p.n].size = B.o[i].size;
      p.v[p.n].last_modified = B.o[i].mtime;
      p.n++;
    }
    i++;
  }
  p.truncated = i < B.n;
  if(p.truncated && p.n)
    p.next_key_marker = p.v[p.n - 1].key;
  else if(p.truncated)
    p.next_key_marker = B.o[i - 1].key;
  c->cb(c->arg, r, &p);
  free(p.v);
}

static void erase(const char *key)
{
  for(size_t i = 0; i < B.n; i++)
    if(!strcmp(B.o[i].key, key)) {
      B.deleted_twice += B.o[i].deleted != 0;
      B.o[i].deleted = 1;
      return;
    }
  fail_msg("deleting a key never listed: %s", key);
}

static void answer_dels(struct fake_call *c, struct aws_response *r)
{
  struct wire_delete_result d;
  memset(&d, 0, sizeof(d));
  for(size_t i = 0; i < c->n; i++)
    erase(c->objs[i].key);
  c->cb(c->arg, r, &d);
}

static void serve_all(void)
{
  static const struct fake_answerers a = { .op = {
    [FAKE_LISTV] = answer_list, [FAKE_LIST2] = answer_list,
    [FAKE_DELS] = answer_dels } };
  unsigned guard = 0;
  while(fake_ncalls) {
    fake_serve_one(&a);
    assert_true(++guard < 200000);
  }
}

/* ---- the sweep's side: decisions, picks, outcomes ---------------------- */

#define NREND_MAX 4096

static struct {
  struct jan_config cfg;
  /* pass 1 */
  char *id[NREND_MAX];
  size_t n[NREND_MAX];
  int64_t newest[NREND_MAX];
  enum inv_reason why[NREND_MAX];
  size_t nr;
  unsigned told_twice;
  uint64_t props;
  int listed;
  struct prune_list_outcome lo;
  char *seed[64];               /* the count pass's ranges */
  size_t nseed;
  /* pass 2 */
  struct render_pick picks[NREND_MAX];
  uint64_t expected[NREND_MAX + 1];
  struct render_plan plan;
  uint32_t nowners;
  struct prune_owner_outcome oo[NREND_MAX + 1];
  unsigned owner_told[NREND_MAX + 1];
  int done;
  struct prune_delete_outcome out;
} S;

static int s_render(void *arg, const struct render *r)
{
  (void)arg;
  for(size_t i = 0; i < S.nr; i++)
    if(!strcmp(S.id[i], r->id))
      S.told_twice++;
  assert_true(S.nr < NREND_MAX);
  S.id[S.nr] = strdup(r->id);
  S.n[S.nr] = r->n;
  S.newest[S.nr] = r->newest;
  S.why[S.nr] = render_decide(r, BUCKET, &S.cfg, NOW);
  S.nr++;
  return 0;
}

static int s_entry(void *arg, const struct wire_object *o, enum render_cat c,
                   size_t idlen, int dup)
{
  struct render_plan pl = { .props_owner = 0, .mode = S.cfg.renders,
                            .max_age_s = S.cfg.render_max_age_s,
                            .decided_at = NOW };
  uint32_t ow;
  (void)arg;
  if(!dup && render_act(&pl, o, c, idlen, &ow) == RENDER_ACT_DELETE)
    S.props++;
  return 0;
}

static void s_listed(void *arg, const struct prune_list_outcome *o)
{
  (void)arg;
  S.lo = *o;
  S.lo.seed = NULL;             /* valid during the call only */
  assert_true(o->nseed <= 64);
  for(size_t i = 0; i < o->nseed; i++) {
    S.seed[i] = strdup(o->seed[i]);
    assert_true(!i || strcmp(S.seed[i - 1], S.seed[i]) < 0);
  }
  S.nseed = o->nseed;
  S.listed++;
}

static void setup_sweep(enum jan_renders mode)
{
  memset(&S, 0, sizeof(S));
  assert_int_equal(config_defaults(&S.cfg), 0);
  S.cfg.renders = mode;
  S.cfg.render_max_age_s = 30 * DAY;
}

static void teardown_sweep(void)
{
  for(size_t i = 0; i < S.nr; i++)
    free(S.id[i]);
  S.nr = 0;
  for(size_t i = 0; i < S.nseed; i++)
    free(S.seed[i]);
  S.nseed = 0;
  config_free(&S.cfg);
}

static void count_pass(void)
{
  static const struct render_stream_ops ops = { .render = s_render,
                                                .entry = s_entry };
  assert_int_equal(prune_list_start(NULL, "eu-west-1", BUCKET, 16, 1, 1,
                                    NULL, 0, &ops, NULL, s_listed, NULL), 0);
  serve_all();
  assert_int_equal(S.listed, 1);
}

static size_t find(const char *id)
{
  for(size_t i = 0; i < S.nr; i++)
    if(!strcmp(S.id[i], id))
      return i;
  fail_msg("render %s never told", id);
  return 0;
}

static void s_owner(void *arg, const struct prune_owner_outcome *o)
{
  (void)arg;
  assert_true(o->owner < S.nowners);
  S.oo[o->owner] = *o;
  S.owner_told[o->owner]++;
}

static void s_done(void *arg, const struct prune_delete_outcome *o)
{
  (void)arg;
  S.out = *o;
  S.done++;
}

/* The candidates of the count pass as owners (and props last, if any),
 * then the deleting pass. */
static void delete_pass(int with_props)
{
  size_t np = 0;
  struct prune_delete_opts o;
  for(size_t i = 0; i < S.nr; i++)
    if(S.why[i] == INV_REASON_POLICY) {
      S.picks[np].id = S.id[i];
      S.picks[np].newest = S.newest[i];
      S.picks[np].owner = (uint32_t)np;
      S.expected[np] = S.cfg.renders == JAN_RENDERS_ALL ? S.n[i] : S.n[i] - 1;
      np++;
    }
  S.nowners = (uint32_t)np;
  S.plan.props_owner = RENDER_NO_OWNER;
  if(with_props && S.props) {
    S.plan.props_owner = S.nowners;
    S.expected[S.nowners++] = S.props;
  }
  render_picks_sort(S.picks, np);
  S.plan.picks = S.picks;
  S.plan.npicks = np;
  S.plan.mode = S.cfg.renders;
  S.plan.max_age_s = S.cfg.render_max_age_s;
  S.plan.decided_at = NOW;
  memset(&o, 0, sizeof(o));
  o.parallel = 16;
  o.versions = 1;
  o.plan = &S.plan;
  o.expected = S.expected;
  o.nowners = S.nowners;
  o.seed = (const char *const *)S.seed;   /* starts in the count's ranges */
  o.nseed = S.nseed;
  assert_int_equal(prune_delete_start(NULL, "eu-west-1", BUCKET, &o, s_owner,
                                      s_done, NULL), 0);
  serve_all();
  assert_int_equal(S.done, 1);
  for(uint32_t ow = 0; ow < S.nowners; ow++)
    assert_int_equal(S.owner_told[ow], 1);
}

/* The bucket's figures after the pruning, as the report gives them
 * (prune_storage_after: the deleting pass's listing, or where it broke
 * off the count's, less what was deleted), are what the bucket holds. */
static void assert_figures_are_left(int whole)
{
  uint64_t objects = S.lo.objects, n = 0;
  int64_t bytes = S.lo.bytes, b = 0;
  int64_t storage[RENDER_CAT_N], st[RENDER_CAT_N] = { 0 };

  memcpy(storage, S.lo.storage, sizeof(storage));
  assert_int_equal(S.out.whole, whole);
  prune_storage_after(&S.out, &objects, &bytes, storage);
  for(size_t i = 0; i < B.n; i++) {
    size_t idlen;
    if(B.o[i].deleted)
      continue;
    n++;
    b += B.o[i].size;
    st[render_classify(B.o[i].key, &idlen)] += B.o[i].size;
  }
  assert_int_equal(objects, n);
  assert_int_equal(bytes, b);
  for(int c = 0; c < RENDER_CAT_N; c++)
    assert_int_equal(storage[c], st[c]);
}

/* ---- the tests ---------------------------------------------------------- */

/* Renders of 1400 objects, in pages of up to 1000 over up to 16 chains
 * (through the real lister, whose ranges end at its own split points):
 * each render is told once, whole, and decided on all of its objects (one
 * young object in the middle of a render keeps it).  Ranges cutting a
 * render in two or three: test_render's stream cases. */
static void test_straddling_renders_decided_whole(void **state)
{
  (void)state;
  for(uint64_t seed = 1; seed <= 6; seed++) {
    setup_sweep(JAN_RENDERS_ALL);
    reset(1000, seed);
    for(size_t r = 0; r < 10; r++)
      for(size_t i = 0; i < 1400; i++) {
        char k[64];
        snprintf(k, sizeof(k), "renders/q%zu/c%04zu", r, i);
        B.n < NOBJ_MAX ? (void)0 : fail();
        snprintf(B.o[B.n].key, sizeof(B.o[B.n].key), "%s", k);
        B.o[B.n].mtime = NOW - 45 * DAY;
        B.o[B.n].size = 10;
        B.n++;
      }
    B.o[5 * 1400 + 700].mtime = NOW - 2 * DAY;    /* inside render q5 */
    count_pass();
    assert_int_equal(S.lo.err, 0);
    assert_true(S.lo.pages > 15);
    assert_int_equal(S.told_twice, 0);
    assert_int_equal(S.nr, 10);
    for(size_t i = 0; i < S.nr; i++) {
      assert_int_equal(S.n[i], 1400);
      assert_int_equal(S.why[i], strcmp(S.id[i], "q5")
                       ? INV_REASON_POLICY : INV_REASON_TOO_YOUNG);
    }
    assert_int_equal(S.lo.objects, 10 * 1400);
    assert_true(S.nseed > 0 && S.nseed <= 15);
    teardown_sweep();
  }
}

/* Between the passes a render gains a young object: the deleting pass
 * deletes what was decided, keeps the young object and tells it
 * (appeared); outputs stay in artifacts mode; the other renders go whole,
 * sites and other prefixes are never touched. */
static void test_render_gains_a_young_object_between_passes(void **state)
{
  (void)state;
  for(uint64_t seed = 11; seed <= 14; seed++) {
    size_t x;
    setup_sweep(JAN_RENDERS_ARTIFACTS);
    reset(700, seed);
    put_renders("b", 300, 20, 50);
    put_renders("y", 20, 5, 3);                     /* young */
    put("sites/s/index.html", 400, 5);
    put("notes/old.txt", 400, 5);
    count_pass();
    put("renders/b00150/late-chunk", 0, 10);      /* written meanwhile */
    delete_pass(0);
    assert_int_equal(S.nowners, 300);
    assert_int_equal(B.deleted_twice, 0);
    x = find("b00150");
    (void)x;
    for(uint32_t ow = 0; ow < S.nowners; ow++) {
      const struct prune_owner_outcome *o = &S.oo[ow];
      const struct render_pick *p = &S.picks[0];
      for(size_t k = 0; k < S.plan.npicks; k++)
        if(S.picks[k].owner == ow)
          p = &S.picks[k];
      assert_int_equal(o->deleted, 19);
      assert_int_equal(o->failed, 0);
      assert_int_equal(o->appeared, strcmp(p->id, "b00150") ? 0 : 1);
    }
    assert_int_equal(left("renders/b00150/late-chunk"), 1);
    assert_int_equal(left("renders/b"), 300 + 1);         /* outputs, late */
    assert_int_equal(left("renders/y"), 20 * 5);
    assert_int_equal(left("sites/"), 1);
    assert_int_equal(left("notes/"), 1);
    /* The late object included: the deleting pass listed it. */
    assert_figures_are_left(1);
    teardown_sweep();
  }
}

/* Props objects: each by its own age, counted in the first pass, deleted
 * in the second; young ones stay. */
static void test_props_by_their_own_age(void **state)
{
  (void)state;
  setup_sweep(JAN_RENDERS_ALL);
  reset(3, 5);
  put("input-props/old1.json", 40, 3);
  put("input-props/young.json", 2, 3);
  put("resolved-props/old2.json", 31, 3);
  put("default-props/edge.json", 29, 3);
  put("renders/c00001/out.mp4", 1, 3);
  count_pass();
  assert_int_equal(S.props, 2);
  delete_pass(1);
  assert_int_equal(S.nowners, 1);
  assert_int_equal(S.oo[0].deleted, 2);
  assert_int_equal(S.oo[0].bytes, 6);
  assert_int_equal(left("input-props/young.json"), 1);
  assert_int_equal(left("default-props/edge.json"), 1);
  assert_int_equal(left("input-props/old1.json"), 0);
  assert_int_equal(left("resolved-props/old2.json"), 0);
  assert_int_equal(left("renders/"), 1);
  assert_figures_are_left(1);
  teardown_sweep();
}

/* A counting listing that fails midway: told as failed, and nothing was
 * deleted.  A deleting pass that breaks off: every owner it did not finish
 * is told failed (never deleted), and nothing outside the plan goes. */
static void test_listing_failing_midway(void **state)
{
  (void)state;
  setup_sweep(JAN_RENDERS_ALL);
  reset(500, 21);
  put_renders("d", 500, 10, 60);
  B.list_fail_after = 4;
  count_pass();
  assert_int_equal(S.lo.err, JAN_EAWS);
  assert_int_equal(fake_made[FAKE_DELS] + fake_made[FAKE_DEL1], 0);
  assert_int_equal(left("renders/"), 5000);
  teardown_sweep();

  setup_sweep(JAN_RENDERS_ALL);
  reset(500, 22);
  put_renders("d", 500, 10, 60);
  count_pass();
  assert_int_equal(S.lo.err, 0);
  B.pages = 0;
  B.list_fail_after = 3;
  delete_pass(0);
  {
    unsigned ok = 0, failed = 0;
    for(uint32_t ow = 0; ow < S.nowners; ow++) {
      const struct render_pick *p = &S.picks[0];
      char prefix[64];
      for(size_t k = 0; k < S.plan.npicks; k++)
        if(S.picks[k].owner == ow)
          p = &S.picks[k];
      assert_int_equal(p->owner, ow);
      snprintf(prefix, sizeof(prefix), "renders/%s/", p->id);
      if(S.oo[ow].failed) {
        failed++;
        assert_non_null(strstr(S.oo[ow].error, "listing"));
      }
      else {
        ok++;
        assert_int_equal(S.oo[ow].deleted, 10);
        assert_int_equal(left(prefix), 0);
      }
    }
    assert_true(failed > 0);
    assert_int_equal(ok + failed, 500);
  }
  assert_figures_are_left(0);
  teardown_sweep();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_straddling_renders_decided_whole),
    cmocka_unit_test(test_render_gains_a_young_object_between_passes),
    cmocka_unit_test(test_props_by_their_own_age),
    cmocka_unit_test(test_listing_failing_midway),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
