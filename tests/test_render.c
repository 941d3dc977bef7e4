/*
 * Renders in live buckets (render.c): classification of keys, grouping
 * (sorted, duplicates once, versions), storage by category, age from the
 * newest object, keep globs, artifacts vs all, props by their own age.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "janitor/err.h"
#include "janitor/render.h"

#define NOW 1800000000
#define DAY 86400

struct obj {
  const char *key;
  int64_t size;
  int64_t age_days;             /* -1: no LastModified */
};

static void add(struct render_set *s, const struct obj *o, size_t n)
{
  for(size_t i = 0; i < n; i++) {
    struct wire_object w = {
      (char *)(uintptr_t)o[i].key, NULL, 0,
      o[i].age_days < 0 ? WIRE_TIME_UNKNOWN : NOW - o[i].age_days * DAY,
      o[i].size
    };
    assert_int_equal(render_set_add(s, &w, 1), 0);
  }
}

static const struct render *find(const struct render_set *s, const char *id)
{
  for(size_t i = 0; i < s->nr; i++)
    if(!strcmp(s->r[i].id, id))
      return &s->r[i];
  fail_msg("render %s not found", id);
  return NULL;
}

/* render_keep_reason as its name, NULL for a candidate. */
static const char *keep_name(const struct render_set *s,
                             const struct render *r, const char *bucket,
                             const struct jan_config *cfg, int64_t now)
{
  enum inv_reason why = render_keep_reason(s, r, bucket, cfg, now);
  return why == INV_REASON_POLICY ? NULL : inv_reason_name(why);
}

static void test_classify(void **state)
{
  size_t id;
  (void)state;
  assert_int_equal(render_classify("renders/abc/out.mp4", &id),
                   RENDER_CAT_OUTPUTS);
  assert_int_equal(id, 3);
  assert_int_equal(render_classify("renders/abc/progress.json", &id),
                   RENDER_CAT_RENDERS);
  /* out.* only directly under the render. */
  assert_int_equal(render_classify("renders/abc/x/out.mp4", &id),
                   RENDER_CAT_RENDERS);
  assert_int_equal(render_classify("renders/abc/output.mp4", &id),
                   RENDER_CAT_RENDERS);
  /* Not a render: no id, or nothing after it. */
  assert_int_equal(render_classify("renders/abc", &id), RENDER_CAT_OTHER);
  assert_int_equal(id, 0);
  assert_int_equal(render_classify("renders//x", &id), RENDER_CAT_OTHER);
  assert_int_equal(render_classify("renders/abc/", &id), RENDER_CAT_OTHER);
  assert_int_equal(render_classify("sites/s/index.html", &id),
                   RENDER_CAT_SITES);
  assert_int_equal(render_classify("input-props/h.json", &id),
                   RENDER_CAT_PROPS);
  assert_int_equal(render_classify("resolved-props/h.json", &id),
                   RENDER_CAT_PROPS);
  assert_int_equal(render_classify("default-props/h.json", &id),
                   RENDER_CAT_PROPS);
  assert_int_equal(render_classify("Renders/abc/out.mp4", &id),
                   RENDER_CAT_OTHER);
  assert_int_equal(render_classify("props/x", &id), RENDER_CAT_OTHER);
}

static void test_group_and_storage(void **state)
{
  static const struct obj o[] = {
    { "renders/b/out.mp4", 1000, 40 }, { "sites/s/i.html", 7, 400 },
    { "renders/a/chunk-1", 10, 50 },   { "renders/a/out.webm", 500, 50 },
    { "renders/a-/x", 1, 50 },          /* sorts before "renders/a/" */
    { "renders/b/progress.json", 20, 1 }, { "input-props/h", 3, 60 },
    { "other", 2, 1 }, { "renders/a/chunk-1", 10, 50 },   /* twice */
  };
  struct render_set s;
  const struct render *a, *b;
  (void)state;
  render_set_init(&s);
  add(&s, o, sizeof(o) / sizeof(*o));
  assert_int_equal(render_set_group(&s), 0);
  assert_int_equal(s.n, 8);                 /* the duplicate once */
  assert_int_equal(s.nr, 3);
  a = find(&s, "a");
  assert_int_equal(a->n, 2);
  assert_int_equal(a->bytes, 510);
  assert_int_equal(a->outputs, 1);
  assert_int_equal(a->output_bytes, 500);
  b = find(&s, "b");
  assert_int_equal(b->oldest, NOW - 40 * DAY);
  assert_int_equal(b->newest, NOW - 1 * DAY);
  assert_int_equal(find(&s, "a-")->n, 1);
  assert_int_equal(s.storage[RENDER_CAT_OUTPUTS], 1500);
  assert_int_equal(s.storage[RENDER_CAT_RENDERS], 10 + 1 + 20);
  assert_int_equal(s.storage[RENDER_CAT_SITES], 7);
  assert_int_equal(s.storage[RENDER_CAT_PROPS], 3);
  assert_int_equal(s.storage[RENDER_CAT_OTHER], 2);
  assert_int_equal(s.bytes, 1500 + 31 + 7 + 3 + 2);
  render_set_free(&s);
}

/* "renders/<id>/" itself is no object of render <id> (it is "other"):
 * the render's objects start after it (found by fuzz_render). */
static void test_prefix_key_is_not_the_renders(void **state)
{
  static const struct obj o[] = {
    { "renders/id", 1, 50 }, { "renders/id/", 2, 50 },
    { "renders/id/x", 4, 50 }, { "renders/idz/y", 8, 50 },
  };
  struct render_set s;
  const struct render *r;
  (void)state;
  render_set_init(&s);
  add(&s, o, sizeof(o) / sizeof(*o));
  assert_int_equal(render_set_group(&s), 0);
  assert_int_equal(s.nr, 2);
  r = find(&s, "id");
  assert_int_equal(r->n, 1);
  assert_string_equal(s.o[r->first].key, "renders/id/x");
  assert_int_equal(r->bytes, 4);
  assert_string_equal(s.o[find(&s, "idz")->first].key, "renders/idz/y");
  assert_int_equal(s.storage[RENDER_CAT_OTHER], 1 + 2);
  render_set_free(&s);
}

static void test_decisions(void **state)
{
  static const struct obj o[] = {
    { "renders/old/out.mp4", 1000, 40 }, { "renders/old/chunk", 5, 40 },
    { "renders/busy/out.mp4", 1000, 40 },
    { "renders/busy/progress.json", 5, 0 },   /* written now */
    { "renders/only/out.mp4", 9, 90 },
    { "renders/undated/a", 9, 90 }, { "renders/undated/b", 9, -1 },
    { "renders/keepme/x", 1, 90 },
    { "input-props/old", 3, 31 }, { "input-props/new", 3, 29 },
    { "sites/s/x", 1, 400 },
  };
  struct jan_config cfg;
  struct render_set s;
  size_t n;
  int64_t bytes;
  (void)state;
  assert_int_equal(config_defaults(&cfg), 0);
  cfg.renders = JAN_RENDERS_ALL;
  cfg.render_max_age_s = 30 * DAY;
  cfg.keep[0] = (char *)(uintptr_t)"remotionlambda-x/renders/keep*";
  cfg.nkeep = 1;
  render_set_init(&s);
  add(&s, o, sizeof(o) / sizeof(*o));
  assert_int_equal(render_set_group(&s), 0);
  assert_null(keep_name(&s, find(&s, "old"), "remotionlambda-x",
                                 &cfg, NOW));
  /* Age from the newest object. */
  assert_string_equal(keep_name(&s, find(&s, "busy"),
                                         "remotionlambda-x", &cfg, NOW),
                      "too-young");
  /* An object of unknown age is never old. */
  assert_string_equal(keep_name(&s, find(&s, "undated"),
                                         "remotionlambda-x", &cfg, NOW),
                      "too-young");
  assert_string_equal(keep_name(&s, find(&s, "keepme"),
                                         "remotionlambda-x", &cfg, NOW),
                      "excluded");
  /* The glob names BUCKET/renders/ID: another bucket is not matched. */
  assert_null(keep_name(&s, find(&s, "keepme"), "remotionlambda-y",
                                 &cfg, NOW));
  render_prunable(&s, find(&s, "old"), JAN_RENDERS_ALL, &n, &bytes);
  assert_int_equal(n, 2);
  assert_int_equal(bytes, 1005);
  render_prunable(&s, find(&s, "old"), JAN_RENDERS_ARTIFACTS, &n, &bytes);
  assert_int_equal(n, 1);
  assert_int_equal(bytes, 5);
  /* Artifacts of a render with only outputs: nothing to prune. */
  assert_null(keep_name(&s, find(&s, "only"), "remotionlambda-x",
                                 &cfg, NOW));
  cfg.renders = JAN_RENDERS_ARTIFACTS;
  assert_string_equal(keep_name(&s, find(&s, "only"),
                                         "remotionlambda-x", &cfg, NOW),
                      "nothing-to-prune");
  /* Props by their own age; never anything else; nothing with keep. */
  n = 0;
  for(size_t i = 0; i < s.n; i++)
    if(render_props_pruned(&s, i, &cfg, NOW)) {
      assert_string_equal(s.o[i].key, "input-props/old");
      n++;
    }
  assert_int_equal(n, 1);
  cfg.renders = JAN_RENDERS_KEEP;
  for(size_t i = 0; i < s.n; i++)
    assert_false(render_props_pruned(&s, i, &cfg, NOW));
  render_prunable(&s, find(&s, "old"), JAN_RENDERS_KEEP, &n, &bytes);
  assert_int_equal(n, 0);
  render_set_free(&s);
  cfg.nkeep = 0;
  cfg.keep[0] = NULL;
  config_free(&cfg);
}

/* An entry listed twice with two dates keeps the younger, in either
 * order; an unknown date (never old) is the youngest. */
static void test_duplicate_takes_younger_date(void **state)
{
  static const struct {
    int64_t first, second, kept;        /* ages in days; -1 unknown */
  } t[] = {
    { 400, 3, 3 }, { 3, 400, 3 }, { 40, 40, 40 }, { -1, 400, -1 },
    { 400, -1, -1 },
  };
  (void)state;
  assert_int_equal(render_younger(10, 20), 20);
  assert_int_equal(render_younger(WIRE_TIME_UNKNOWN, 20), WIRE_TIME_UNKNOWN);
  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    struct obj o[3] = {
      { "renders/r/chunk-0", 10, t[i].first },
      { "renders/r/out.mp4", 10, t[i].first > 100 ? 100 : 50 },
      { "renders/r/chunk-0", 10, t[i].second },
    };
    struct render_set s;
    render_set_init(&s);
    add(&s, o, 3);
    assert_int_equal(render_set_group(&s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.o[0].mtime, t[i].kept < 0 ? WIRE_TIME_UNKNOWN
                                   : NOW - t[i].kept * DAY);
    assert_int_equal(s.r[0].bytes, 20);
    render_set_free(&s);
  }
}

static void test_versions(void **state)
{
  struct wire_object v[] = {
    { (char *)(uintptr_t)"renders/r/out.mp4", (char *)(uintptr_t)"v2", 0,
      NOW - 40 * DAY, 100 },
    { (char *)(uintptr_t)"renders/r/out.mp4", (char *)(uintptr_t)"v1", 0,
      NOW - 41 * DAY, 90 },
    { (char *)(uintptr_t)"renders/r/log", (char *)(uintptr_t)"m1", 1,
      NOW - 40 * DAY, WIRE_SIZE_UNKNOWN },
    { (char *)(uintptr_t)"renders/r/out.mp4", (char *)(uintptr_t)"v2", 0,
      NOW - 40 * DAY, 100 },              /* listed twice */
  };
  struct render_set s;
  (void)state;
  render_set_init(&s);
  assert_int_equal(render_set_add(&s, v, 4), 0);
  assert_int_equal(render_set_group(&s), 0);
  assert_true(s.versioned);
  assert_int_equal(s.n, 3);                /* both versions and the marker */
  assert_int_equal(s.nr, 1);
  assert_int_equal(s.r[0].bytes, 190);     /* a marker stores nothing */
  render_set_free(&s);
}

/* Where versions cannot be listed: only a probe answered without
 * x-amz-version-id lets a bucket be pruned by key. */
static void test_versioning_probe(void **state)
{
  static const struct {
    enum render_probe probe;
    enum render_versioning want;
  } table[] = {
    { RENDER_PROBE_HEADER, RENDER_VERSIONING_ON },  /* "null" included */
    { RENDER_PROBE_NO_HEADER, RENDER_VERSIONING_NEVER },
    { RENDER_PROBE_FAILED, RENDER_VERSIONING_UNKNOWN },
    { RENDER_PROBE_NOT_SENT, RENDER_VERSIONING_UNKNOWN },
    { RENDER_PROBE_NONE, RENDER_VERSIONING_UNKNOWN },
    { RENDER_PROBE_N, RENDER_VERSIONING_UNKNOWN },   /* out of range */
    { (enum render_probe)-1, RENDER_VERSIONING_UNKNOWN },
  };
  size_t never = 0;
  (void)state;
  for(size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    assert_int_equal(render_versioning(table[i].probe), table[i].want);
    never += render_versioning(table[i].probe) == RENDER_VERSIONING_NEVER;
  }
  assert_int_equal(never, 1);
  /* The zero value (an outcome never filled in) is the safe one. */
  assert_int_equal(RENDER_VERSIONING_UNKNOWN, 0);
  assert_string_equal(render_versioning_name(RENDER_VERSIONING_ON),
                      "versioned");
  assert_string_equal(render_versioning_name(RENDER_VERSIONING_NEVER),
                      "never-versioned");
  assert_string_equal(render_versioning_name(RENDER_VERSIONING_UNKNOWN),
                      "unknown");
}

/* A hostile listing: sizes at the parser's cap, enough of them to pass
 * INT64_MAX in a plain sum.  The sums saturate, never wrap negative. */
static void test_bytes_saturate(void **state)
{
  enum { N = 1100 };
  static char keys[N][32];
  struct wire_object v[N];
  struct render_set s;
  size_t n;
  int64_t bytes;
  (void)state;
  memset(v, 0, sizeof(v));
  for(size_t i = 0; i < N; i++) {
    snprintf(keys[i], sizeof(keys[i]), "renders/big/c%zu", i);
    v[i].key = keys[i];
    v[i].last_modified = NOW - 40 * DAY;
    v[i].size = WIRE_SIZE_MAX;
  }
  render_set_init(&s);
  assert_int_equal(render_set_add(&s, v, N), 0);
  assert_int_equal(render_set_group(&s), 0);
  assert_int_equal(s.nr, 1);
  assert_true(s.bytes == INT64_MAX);
  assert_true(s.storage[RENDER_CAT_RENDERS] == INT64_MAX);
  assert_true(s.r[0].bytes == INT64_MAX);
  render_prunable(&s, &s.r[0], JAN_RENDERS_ALL, &n, &bytes);
  assert_int_equal(n, N);
  assert_true(bytes == INT64_MAX);
  render_set_free(&s);
}

/* An object listed without <Size> still belongs to its render: a recent
 * one keeps the render young (it was skipped, and the render's older
 * objects pruned), and it is never pruned by itself. */
static void test_no_size_keeps_render(void **state)
{
  static const struct obj o[] = {
    { "renders/r/chunk", 5, 40 },
    { "renders/r/progress.json", WIRE_SIZE_UNKNOWN, 0 },  /* now */
    { "input-props/p", WIRE_SIZE_UNKNOWN, 90 },
  };
  struct jan_config cfg;
  struct render_set s;
  (void)state;
  assert_int_equal(config_defaults(&cfg), 0);
  cfg.renders = JAN_RENDERS_ALL;
  cfg.render_max_age_s = 30 * DAY;
  render_set_init(&s);
  add(&s, o, sizeof(o) / sizeof(*o));
  assert_int_equal(render_set_group(&s), 0);
  assert_int_equal(s.nr, 1);
  assert_int_equal(s.r[0].n, 2);
  assert_int_equal(s.bytes, 5);
  assert_string_equal(keep_name(&s, find(&s, "r"),
                                         "remotionlambda-x", &cfg, NOW),
                      "too-young");
  for(size_t i = 0; i < s.n; i++)
    assert_false(render_props_pruned(&s, i, &cfg, NOW));
  render_set_free(&s);
  config_free(&cfg);
}

/* A big bucket is decided, not refused: 2,000,000 entries (400,000
 * renders of 5 objects) streamed in pages of 1000 over 8 chains, every
 * render told once with its 5 objects, while the stream holds only its
 * chains and their partial renders (the 1 GiB listing budget is gone). */
struct big {
  size_t renders, objects;
  int bad;
};

static int big_render(void *arg, const struct render *r)
{
  struct big *b = arg;
  b->renders++;
  b->objects += r->n;
  if(r->n != 5 || r->newest != NOW - 40 * DAY)
    b->bad = 1;
  return 0;
}

static void test_big_bucket_streamed(void **state)
{
  enum { RENDERS = 400000, PER = 5, CHAINS = 8, PAGE = 1000 };
  const struct render_stream_ops ops = { .render = big_render };
  static char keys[PAGE][40];
  struct wire_object v[PAGE];
  struct render_stream s;
  struct big b = { 0 };
  size_t per_chain = (size_t)RENDERS * PER / CHAINS, held = 0;
  (void)state;

  render_stream_init(&s, &ops, &b);
  /* Chain c holds entries [start(c), start(c + 1)): each boundary but
   * the first cuts a render in two; the chains' pages interleave. */
#define START(c) ((c) == 0 ? 0 : (c) == CHAINS ? (size_t)RENDERS * PER \
                  : (c) * per_chain + 2)
  for(size_t page = 0; page * PAGE < per_chain + 2; page++)
    for(size_t c = 0; c < CHAINS; c++) {
      size_t from = START(c) + page * PAGE, n = 0;
      for(; n < PAGE && from + n < START(c + 1); n++) {
        size_t e = from + n;
        snprintf(keys[n], sizeof(keys[n]), "renders/r%07zu/c%zu", e / PER,
                 e % PER);
        v[n] = (struct wire_object){ keys[n], NULL, 0, NOW - 40 * DAY, 7 };
      }
      if(n)
        assert_int_equal(render_stream_add(&s, c + 1, v, n), 0);
      if(s.npart > held)
        held = s.npart;
    }
#undef START
  assert_true(held <= 2 * CHAINS);
  assert_int_equal(s.nch, CHAINS);
  assert_int_equal(render_stream_end(&s), 0);
  assert_false(b.bad);
  assert_int_equal(b.renders, RENDERS);
  assert_int_equal(b.objects, (size_t)RENDERS * PER);
  assert_int_equal(s.objects, (uint64_t)RENDERS * PER);
  assert_int_equal(s.storage[RENDER_CAT_RENDERS], (int64_t)RENDERS * PER * 7);
  render_stream_free(&s);
}

/* Renders cut by range boundaries: render "m" spans three chains (its
 * young object in the middle one, which holds nothing else), "k" spans
 * chain 1's two pages, "a" begins chain 1; the chains' pages come out of
 * order.  Each render is told once, whole, with the younger date; a
 * duplicate entry (listed twice, the second time younger) counts once and
 * makes its render young. */
struct told {
  char id[16];
  size_t n;
  int64_t newest;
  int64_t bytes;
};
static struct told T[16];
static size_t NT;

static int told_render(void *arg, const struct render *r)
{
  (void)arg;
  assert_true(NT < 16);
  snprintf(T[NT].id, sizeof(T[NT].id), "%s", r->id);
  T[NT].n = r->n;
  T[NT].newest = r->newest;
  T[NT].bytes = r->bytes;
  NT++;
  return 0;
}

static const struct told *told(const char *id)
{
  const struct told *t = NULL;
  for(size_t i = 0; i < NT; i++)
    if(!strcmp(T[i].id, id)) {
      assert_null(t);                   /* once */
      t = &T[i];
    }
  assert_non_null(t);
  return t;
}

#define W(k, age) { (char *)(uintptr_t)(k), NULL, 0, NOW - (age) * DAY, 10 }

#define WV(k, v, age) { (char *)(uintptr_t)(k), (char *)(uintptr_t)(v), 0, \
                       NOW - (age) * DAY, 10 }

/* An entry listed again at the start of its chain's next page (or of
 * the same page) counts once, its younger date kept; the same key with
 * another version is another object; a repeat in another chain is not
 * compared with this one. */
static void test_stream_dup_across_pages(void **state)
{
  const struct render_stream_ops ops = { .render = told_render };
  struct render_stream s;
  struct wire_object p1[] = { W("renders/d/1", 40), W("renders/d/2", 40) };
  struct wire_object p2[] = { W("renders/d/2", 3), W("renders/d/3", 40),
                              W("renders/d/3", 40) };
  struct wire_object p3[] = { WV("renders/e/1", "v1", 40),
                              WV("renders/e/1", "v2", 40) };
  struct wire_object p4[] = { WV("renders/e/1", "v2", 5),
                              WV("renders/e/2", "v1", 40) };
  struct wire_object q1[] = { W("renders/f/1", 40) };
  struct wire_object q2[] = { W("renders/e/0", 40) };
  /* The pages in the order they come: chain, entries. */
  const struct {
    uintptr_t chain;
    const struct wire_object *v;
    size_t n;
  } page[] = { { 1, p1, 2 }, { 1, p2, 3 }, { 1, p3, 2 }, { 2, q2, 1 },
               { 1, p4, 2 }, { 2, q1, 1 } };
  (void)state;
  NT = 0;
  render_stream_init(&s, &ops, NULL);
  for(size_t i = 0; i < sizeof(page) / sizeof(page[0]); i++)
    assert_int_equal(render_stream_add(&s, page[i].chain, page[i].v,
                                       page[i].n), 0);
  assert_int_equal(render_stream_end(&s), 0);
  assert_int_equal(told("d")->n, 3);
  assert_int_equal(told("d")->newest, NOW - 3 * DAY);
  assert_int_equal(told("e")->n, 4);
  assert_int_equal(told("e")->newest, NOW - 5 * DAY);
  assert_int_equal(told("f")->n, 1);
  assert_int_equal(s.objects, 8);
  render_stream_free(&s);
}

static void test_stream_straddling_chains(void **state)
{
  const struct render_stream_ops ops = { .render = told_render };
  struct render_stream s;
  struct jan_config cfg;
  /* Chain 1: (start, "renders/m/b"]; 2: ("renders/m/b", "renders/m/d"];
   * 3: ("renders/m/d", end). */
  struct wire_object c1a[] = { W("renders/a/x", 40), W("renders/k/1", 40) };
  struct wire_object c1b[] = { W("renders/k/2", 40), W("renders/m/a", 40),
                               W("renders/m/b", 40) };
  struct wire_object c2[] = { W("renders/m/c", 1) };
  struct wire_object c3[] = { W("renders/m/e", 40), W("renders/t/1", 40),
                              W("renders/t/2", 40), W("renders/u/1", 40),
                              W("renders/u/1", 2), W("sites/x", 40) };
  (void)state;
  assert_int_equal(config_defaults(&cfg), 0);
  cfg.renders = JAN_RENDERS_ALL;
  cfg.render_max_age_s = 30 * DAY;
  NT = 0;
  render_stream_init(&s, &ops, NULL);
  assert_int_equal(render_stream_add(&s, 3, c3, 6), 0);
  assert_int_equal(render_stream_add(&s, 1, c1a, 2), 0);
  assert_int_equal(render_stream_add(&s, 2, c2, 1), 0);
  assert_int_equal(render_stream_add(&s, 1, c1b, 3), 0);
  /* Decided as soon as their chain passed them (t, u, k); what may
   * straddle a boundary (a, m) waits for the end. */
  assert_int_equal(NT, 3);
  assert_string_equal(T[0].id, "t");
  assert_string_equal(T[1].id, "u");
  assert_string_equal(T[2].id, "k");
  assert_int_equal(render_stream_end(&s), 0);
  assert_int_equal(NT, 5);
  assert_int_equal(told("a")->n, 1);
  assert_int_equal(told("k")->n, 2);
  assert_int_equal(told("t")->n, 2);
  assert_int_equal(told("m")->n, 4);
  assert_int_equal(told("m")->bytes, 40);
  assert_int_equal(told("m")->newest, NOW - 1 * DAY);
  assert_int_equal(told("u")->n, 1);                /* the duplicate once */
  assert_int_equal(told("u")->newest, NOW - 2 * DAY);
  assert_int_equal(s.objects, 11);
  {
    struct render m = { .id = (char *)(uintptr_t)"m", .n = 4,
                        .oldest = NOW - 40 * DAY, .newest = NOW - DAY,
                        .bytes = 40 };
    struct render k = m;
    k.id = (char *)(uintptr_t)"k";
    k.newest = NOW - 40 * DAY;
    assert_int_equal(render_decide(&m, "remotionlambda-x", &cfg, NOW),
                     INV_REASON_TOO_YOUNG);
    assert_int_equal(render_decide(&k, "remotionlambda-x", &cfg, NOW),
                     INV_REASON_POLICY);
  }
  render_stream_free(&s);
  config_free(&cfg);
}

/* The second pass's decision (render_act): an object of a chosen render
 * not newer than the render's decided newest goes; a newer one (written
 * since) or an undated one appeared; outputs stay in artifacts mode;
 * props by their own age at the decision time; nothing else. */
static enum render_act act(const struct render_plan *pl,
                           struct wire_object *o, const char *key,
                           int64_t mtime, uint32_t *ow)
{
  size_t idlen;
  enum render_cat c = render_classify(key, &idlen);
  o->key = (char *)(uintptr_t)key;
  o->last_modified = mtime;
  return render_act(pl, o, c, idlen, ow);
}

static void test_act(void **state)
{
  struct render_pick p[] = { { "zz", NOW - 40 * DAY, 1 },
                             { "ab", NOW - 35 * DAY, 0 } };
  struct render_plan pl = { p, 2, 7, JAN_RENDERS_ARTIFACTS, 30 * DAY, NOW };
  struct wire_object o = W("renders/ab/chunk", 40);
  uint32_t ow = 99;
  (void)state;
  render_picks_sort(p, 2);
#define ACT(k_, t_) act(&pl, &o, (k_), (t_), &ow)
  assert_int_equal(ACT("renders/ab/chunk", NOW - 36 * DAY), RENDER_ACT_DELETE);
  assert_int_equal(ow, 0);
  assert_int_equal(ACT("renders/zz/chunk", NOW - 40 * DAY), RENDER_ACT_DELETE);
  assert_int_equal(ow, 1);
  assert_int_equal(ACT("renders/ab/late", NOW - 1), RENDER_ACT_APPEARED);
  assert_int_equal(ACT("renders/ab/late", WIRE_TIME_UNKNOWN),
                   RENDER_ACT_APPEARED);
  assert_int_equal(ACT("renders/ab/out.mp4", NOW - 36 * DAY), RENDER_ACT_NONE);
  assert_int_equal(ACT("renders/abc/chunk", NOW - 90 * DAY), RENDER_ACT_NONE);
  assert_int_equal(ACT("renders/a/chunk", NOW - 90 * DAY), RENDER_ACT_NONE);
  assert_int_equal(ACT("sites/ab/x", NOW - 90 * DAY), RENDER_ACT_NONE);
  assert_int_equal(ACT("input-props/p.json", NOW - 31 * DAY),
                   RENDER_ACT_DELETE);
  assert_int_equal(ow, 7);
  assert_int_equal(ACT("input-props/p.json", NOW - 29 * DAY), RENDER_ACT_NONE);
  pl.mode = JAN_RENDERS_ALL;
  assert_int_equal(ACT("renders/ab/out.mp4", NOW - 36 * DAY),
                   RENDER_ACT_DELETE);
  pl.props_owner = RENDER_NO_OWNER;
  assert_int_equal(ACT("input-props/p.json", NOW - 31 * DAY), RENDER_ACT_NONE);
  pl.mode = JAN_RENDERS_KEEP;
  assert_int_equal(ACT("renders/ab/chunk", NOW - 36 * DAY), RENDER_ACT_NONE);
#undef ACT
}

/* The stream against the grouping of the whole set, on random listings:
 * keys sorted, cut into random ranges (chains) fed in random page order,
 * some entries listed twice (the second time with another date).  The
 * renders told are the set's renders: same ids, objects, bytes, outputs,
 * newest (the younger date of a twice-listed entry), and the same bucket
 * totals. */
static struct render RT[512];
static size_t NRT;

static int rt_render(void *arg, const struct render *r)
{
  (void)arg;
  assert_true(NRT < 512);
  RT[NRT] = *r;
  RT[NRT].id = strdup(r->id);
  NRT++;
  return 0;
}

static uint64_t rstate;
static uint32_t rrand(uint32_t below)
{
  rstate = rstate * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rstate >> 33) % below;
}

static int wkey_cmp(const void *a, const void *b)
{
  return strcmp(((const struct wire_object *)a)->key,
                ((const struct wire_object *)b)->key);
}

static void test_stream_matches_grouping(void **state)
{
  static const char *const ids[] = { "a", "ab", "ab-c", "b", "b0", "zz",
                                     "q", "q9" };
  static const char *const tails[] = { "out.mp4", "out.webm", "chunk-1",
                                       "chunk-2", "progress.json", "x/y" };
  const struct render_stream_ops ops = { .render = rt_render };
  (void)state;
  for(unsigned round = 0; round < 400; round++) {
    struct wire_object v[200];
    char keys[200][48];
    size_t n = 1 + (size_t)rrand(150), total;
    size_t cut[8], ncut;
    struct render_set set;
    struct render_stream st;
    int dups = 0;
    rstate = 0xabcdef00ULL + round;
    for(size_t i = 0; i < n; i++) {
      unsigned k = rrand(10);
      if(k < 8)
        snprintf(keys[i], sizeof(keys[i]), "renders/%s/%s",
                 ids[rrand(8)], tails[rrand(6)]);
      else if(k == 8)
        snprintf(keys[i], sizeof(keys[i]), "input-props/p%u.json",
                 rrand(20));
      else
        snprintf(keys[i], sizeof(keys[i]), "sites/s%u", rrand(20));
      v[i] = (struct wire_object){ keys[i], NULL, 0,
                                   rrand(7) ? NOW - (int64_t)rrand(90) * DAY
                                            : WIRE_TIME_UNKNOWN,
                                   (int64_t)rrand(1000) };
    }
    qsort(v, n, sizeof(*v), wkey_cmp);
    /* One entry a key (an unversioned listing), then some listed twice. */
    {
      size_t w = 0;
      for(size_t i = 0; i < n; i++)
        if(!w || strcmp(v[w - 1].key, v[i].key))
          v[w++] = v[i];
      n = w;
    }
    total = n;
    for(size_t i = 0; i < n && total < 200; i++)
      if(rrand(8) == 0) {
        memmove(&v[i + 1], &v[i], (total - i) * sizeof(*v));
        v[i + 1].last_modified = NOW - (int64_t)rrand(90) * DAY;
        total++;
        n++;
        i++;
        dups = 1;
      }
    render_set_init(&set);
    assert_int_equal(render_set_add(&set, v, total), 0);
    assert_int_equal(render_set_group(&set), 0);
    /* Ranges: cuts at entry boundaries but never between an entry and its
     * repeat (a listing never splits those). */
    ncut = 0;
    for(size_t c = 0, k = rrand(8); c < k; c++) {
      size_t at = 1 + rrand((uint32_t)total);
      if(at < total && strcmp(v[at - 1].key, v[at].key))
        cut[ncut++] = at;
    }
    {
      /* Sorted, distinct cuts. */
      size_t w = 0;
      for(size_t i = 0; i < ncut; i++)
        for(size_t j = i + 1; j < ncut; j++)
          if(cut[j] < cut[i]) {
            size_t t = cut[i];
            cut[i] = cut[j];
            cut[j] = t;
          }
      for(size_t i = 0; i < ncut; i++)
        if(!w || cut[w - 1] != cut[i])
          cut[w++] = cut[i];
      ncut = w;
    }
    {
      size_t from[9], to[9], pos[9], nch = ncut + 1, left = total;
      for(size_t c = 0; c < nch; c++) {
        from[c] = c ? cut[c - 1] : 0;
        to[c] = c < ncut ? cut[c] : total;
        pos[c] = from[c];
      }
      NRT = 0;
      render_stream_init(&st, &ops, NULL);
      while(left) {
        size_t c = rrand((uint32_t)nch), page;
        if(pos[c] == to[c])
          continue;
        page = 1 + rrand(5);
        if(page > to[c] - pos[c])
          page = to[c] - pos[c];
        assert_int_equal(render_stream_add(&st, 100 + c, &v[pos[c]], page),
                         0);
        pos[c] += page;
        left -= page;
      }
      assert_int_equal(render_stream_end(&st), 0);
    }
    assert_int_equal(NRT, set.nr);
    assert_int_equal(st.objects, set.n);
    assert_int_equal(st.bytes, set.bytes);
    assert_memory_equal(st.storage, set.storage, sizeof(st.storage));
    for(size_t i = 0; i < set.nr; i++) {
      const struct render *r = &set.r[i], *t = &RT[0];
      size_t found = 0;
      for(size_t j = 0; j < NRT; j++)
        if(!strcmp(RT[j].id, r->id)) {
          found++;
          t = &RT[j];
        }
      assert_int_equal(found, 1);
      assert_int_equal(t->n, r->n);
      assert_int_equal(t->bytes, r->bytes);
      assert_int_equal(t->outputs, r->outputs);
      assert_int_equal(t->output_bytes, r->output_bytes);
      assert_int_equal(t->newest, r->newest);
      if(!dups)
        assert_int_equal(t->oldest, r->oldest);
    }
    for(size_t j = 0; j < NRT; j++)
      free(RT[j].id);
    render_stream_free(&st);
    render_set_free(&set);
  }
}

/* A LastModified before S3 existed is not a real date: never old (it was
 * read as very old, and pruned with an age the report could not show). */
static void test_time_before_s3(void **state)
{
  struct wire_object v[] = {
    { (char *)(uintptr_t)"renders/r/a", NULL, 0, -62135596800LL, 5 },
    { (char *)(uintptr_t)"renders/r/b", NULL, 0, 0, 5 },
    { (char *)(uintptr_t)"input-props/p", NULL, 0, -1, 5 },
  };
  struct jan_config cfg;
  struct render_set s;
  const char *why;
  (void)state;
  assert_int_equal(config_defaults(&cfg), 0);
  cfg.renders = JAN_RENDERS_ALL;
  cfg.render_max_age_s = 30 * DAY;
  render_set_init(&s);
  assert_int_equal(render_set_add(&s, v, 3), 0);
  assert_int_equal(render_set_group(&s), 0);
  why = keep_name(&s, find(&s, "r"), "remotionlambda-x", &cfg, NOW);
  assert_non_null(why);
  assert_string_equal(why, "too-young");
  for(size_t i = 0; i < s.n; i++)
    assert_false(render_props_pruned(&s, i, &cfg, NOW));
  render_set_free(&s);
  config_free(&cfg);
}

static void test_glob_subject_too_long(void **state)
{
  char small[8];
  (void)state;
  assert_int_not_equal(render_glob_subject("remotion-b", "id", small,
                                           sizeof(small)), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_classify),
    cmocka_unit_test(test_group_and_storage),
    cmocka_unit_test(test_prefix_key_is_not_the_renders),
    cmocka_unit_test(test_decisions),
    cmocka_unit_test(test_versions),
    cmocka_unit_test(test_versioning_probe),
    cmocka_unit_test(test_duplicate_takes_younger_date),
    cmocka_unit_test(test_glob_subject_too_long),
    cmocka_unit_test(test_bytes_saturate),
    cmocka_unit_test(test_no_size_keeps_render),
    cmocka_unit_test(test_big_bucket_streamed),
    cmocka_unit_test(test_stream_straddling_chains),
    cmocka_unit_test(test_stream_dup_across_pages),
    cmocka_unit_test(test_act),
    cmocka_unit_test(test_stream_matches_grouping),
    cmocka_unit_test(test_time_before_s3),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
