/*
 * The parallel lister against an in-memory model of a bucket: random key
 * sets (long shared prefixes, bytes above 0x7F, keys that are prefixes of
 * other keys, many versions of a key), random page sizes, answers in a
 * random order: the listed entries equal the model's, each exactly once.
 * With keys added and removed while the listing runs, every key present
 * for the whole listing is seen, and none twice.
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
#include "janitor/lister.h"

/* ---- a small deterministic generator ------------------------------------ */

static uint64_t rng_state;
static uint32_t rnd(void)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33);
}
static uint32_t rnd_below(uint32_t n)
{
  return n ? rnd() % n : 0;
}

/* ---- the model: entries sorted by key (bytes), versions in a key ------- */

struct ent {
  char *key;
  char vid[16];
  int stable;                   /* present for the whole listing */
  int seen;
};

struct model {
  struct ent *e;
  size_t n, cap;
  int versioned;
  size_t max_page;
  int mutate;                   /* add and remove keys between pages */
  unsigned vseq;
};

static int ent_cmp(const void *a, const void *b)
{
  const struct ent *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : strcmp(x->vid, y->vid);
}

static void model_add(struct model *m, const char *key, int stable)
{
  if(m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 256;
    m->e = realloc(m->e, m->cap * sizeof(*m->e));
    assert_non_null(m->e);
  }
  m->e[m->n].key = strdup(key);
  snprintf(m->e[m->n].vid, sizeof(m->e[m->n].vid), "v%08u", m->vseq++);
  m->e[m->n].stable = stable;
  m->e[m->n].seen = 0;
  m->n++;
}

static void model_sort(struct model *m)
{
  qsort(m->e, m->n, sizeof(*m->e), ent_cmp);
}

static void model_free(struct model *m)
{
  for(size_t i = 0; i < m->n; i++)
    free(m->e[i].key);
  free(m->e);
}

/* A random key of one of the shapes that break listers. */
static void random_key(char *out, size_t outlen, int shape)
{
  static const char id[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  size_t n = 0;
  switch(shape % 6) {
  case 0:                       /* Remotion's layout */
    n = (size_t)snprintf(out, outlen, "renders/");
    for(int i = 0; i < 10; i++)
      out[n++] = id[rnd_below(36)];
    n += (size_t)snprintf(out + n, outlen - n, "/chunk-%04u", rnd_below(40));
    break;
  case 1:                       /* a long shared prefix */
    n = (size_t)snprintf(out, outlen, "%s%u",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
                         rnd_below(500));
    break;
  case 2:                       /* bytes above 0x7F */
    for(int i = 0, len = 1 + (int)rnd_below(6); i < len; i++)
      out[n++] = (char)(0x80 + rnd_below(0x7f));
    break;
  case 3:                       /* prefixes of one another */
    n = (size_t)snprintf(out, outlen, "p");
    for(int i = 0, len = (int)rnd_below(8); i < len; i++)
      out[n++] = "p/"[rnd_below(2)];
    break;
  case 4:                       /* any byte but NUL */
    for(int i = 0, len = 1 + (int)rnd_below(5); i < len; i++)
      out[n++] = (char)(1 + rnd_below(255));
    break;
  default:                      /* other prefixes */
    n = (size_t)snprintf(out, outlen, "%s/%u",
                         (const char *[]){ "sites", "input-props",
                                           "default-props" }[rnd_below(3)],
                         rnd_below(1000));
    break;
  }
  out[n] = '\0';
}

/* ---- requests in flight, answered in random order ----------------------- */

struct req {
  struct lister_chain *ch;
  char *km, *vm;
};

struct harness {
  struct model *m;
  struct lister *l;
  struct req q[LISTER_MAX_CHAINS + 8];
  size_t nq;
  unsigned long long delivered;
  unsigned fetches;
};

static int h_fetch(void *arg, struct lister_chain *ch, const char *km,
                   const char *vm)
{
  struct harness *h = arg;
  assert_true(h->nq < sizeof(h->q) / sizeof(h->q[0]));
  h->q[h->nq].ch = ch;
  h->q[h->nq].km = km ? strdup(km) : NULL;
  h->q[h->nq].vm = vm ? strdup(vm) : NULL;
  h->nq++;
  h->fetches++;
  return 0;
}

static int h_entries(void *arg, const struct wire_object *v, size_t n)
{
  struct harness *h = arg;
  for(size_t i = 0; i < n; i++) {
    struct ent key = { .key = v[i].key };
    struct ent *e;
    snprintf(key.vid, sizeof(key.vid), "%s", v[i].version_id);
    e = bsearch(&key, h->m->e, h->m->n, sizeof(*h->m->e), ent_cmp);
    if(!e) {
      fail_msg("an entry that is not in the bucket");
      return 1;
    }
    assert_int_equal(e->seen, 0);          /* exactly once */
    e->seen = 1;
    h->delivered++;
  }
  return 0;
}

/* The page S3 would answer for the markers. */
static void answer(struct harness *h, const struct req *r,
                   struct wire_object_page *p)
{
  struct model *m = h->m;
  size_t i = 0, size = 1 + rnd_below((uint32_t)m->max_page);

  memset(p, 0, sizeof(*p));
  if(r->km) {
    while(i < m->n && strcmp(m->e[i].key, r->km) < 0)
      i++;
    if(r->vm) {
      /* After (km, vm) in version order; the model orders versions by id. */
      while(i < m->n && !strcmp(m->e[i].key, r->km) &&
            strcmp(m->e[i].vid, r->vm) <= 0)
        i++;
    }
    else {
      while(i < m->n && !strcmp(m->e[i].key, r->km))
        i++;
    }
  }
  p->v = calloc(size, sizeof(*p->v));
  assert_non_null(p->v);
  if(!p->v)
    return;
  while(i < m->n && p->n < size) {
    p->v[p->n].key = m->e[i].key;
    p->v[p->n].version_id = m->e[i].vid;
    p->n++;
    i++;
  }
  p->truncated = i < m->n;
  if(p->truncated && p->n) {
    p->next_key_marker = p->v[p->n - 1].key;
    p->next_version_id_marker = p->v[p->n - 1].version_id;
  }
}

/* Keys that come and go while the listing runs (never stable ones). */
static void mutate(struct model *m)
{
  char key[64];
  if(rnd_below(2)) {
    random_key(key, sizeof(key), (int)rnd_below(6));
    model_add(m, key, 0);
    model_sort(m);
  }
  else {
    for(size_t i = 0; i < m->n; i++) {
      if(!m->e[i].stable && !m->e[i].seen && rnd_below(4) == 0) {
        free(m->e[i].key);
        memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(*m->e));
        m->n--;
        break;
      }
    }
  }
}

/* The first ranges of the next run_listing (lister_opts.seed). */
static const char *const *g_seed;
static size_t g_nseed;

static void run_listing(struct model *m, unsigned chains, unsigned split_min,
                        struct lister_stats *st)
{
  struct harness h = { .m = m };
  struct lister_ops ops = { .fetch = h_fetch, .entries = h_entries };
  struct lister_opts o = { .max_chains = chains, .versioned = m->versioned,
                           .split_min = split_min, .seed = g_seed,
                           .nseed = g_nseed };
  unsigned guard = 0;

  assert_int_equal(lister_new(&o, &ops, &h, &h.l), 0);
  assert_int_equal(lister_kick(h.l), 0);
  while(h.nq) {
    size_t k = rnd_below((uint32_t)h.nq);
    struct req r = h.q[k];
    struct wire_object_page p;
    h.q[k] = h.q[--h.nq];
    if(m->mutate)
      mutate(m);
    answer(&h, &r, &p);
    assert_int_equal(lister_page_done(h.l, r.ch, &p, 0), 0);
    free(p.v);
    free(r.km);
    free(r.vm);
    assert_true(++guard < 1000000);
  }
  assert_true(lister_complete(h.l));
  assert_int_equal(lister_busy(h.l), 0);
  lister_stats(h.l, st);
  assert_int_equal(st->entries, h.delivered);
  lister_free(h.l);
}

static void build(struct model *m, size_t keys, int versioned, int shape)
{
  char key[64];
  memset(m, 0, sizeof(*m));
  m->versioned = versioned;
  for(size_t i = 0; i < keys; i++) {
    random_key(key, sizeof(key), shape < 0 ? (int)rnd_below(6) : shape);
    model_add(m, key, 1);
    /* Many versions of some keys. */
    if(versioned)
      for(unsigned v = rnd_below(4) ? 0 : rnd_below(30); v; v--)
        model_add(m, key, 1);
  }
  model_sort(m);
  /* Non-versioned: one entry a key (S3 has no duplicates). */
  if(!versioned) {
    size_t w = 0;
    for(size_t i = 0; i < m->n; i++) {
      if(w && !strcmp(m->e[w - 1].key, m->e[i].key)) {
        free(m->e[i].key);
        continue;
      }
      m->e[w++] = m->e[i];
    }
    m->n = w;
  }
}

static void check_all_seen(const struct model *m, int stable_only)
{
  for(size_t i = 0; i < m->n; i++)
    if(!stable_only || m->e[i].stable)
      assert_int_equal(m->e[i].seen, 1);
}

static void test_random_key_sets(void **state)
{
  (void)state;
  for(unsigned round = 0; round < 300; round++) {
    struct model m;
    struct lister_stats st;
    rng_state = 0x5eed0000ULL + round;
    build(&m, 1 + rnd_below(round < 250 ? 300 : 2000), (int)(round & 1),
          round % 7 == 6 ? -1 : (int)(round % 7));
    m.max_page = 1 + rnd_below(60);
    run_listing(&m, 1 + rnd_below(40), 1 + (unsigned)rnd_below(
                    (uint32_t)m.max_page), &st);
    check_all_seen(&m, 0);
    model_free(&m);
  }
}

/* A listing seeded with the ranges of an earlier one (keys of the
 * bucket, and points between them; in order, or not: then ignored) starts
 * with one chain a range and still lists every entry exactly once. */
static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_seeded_ranges(void **state)
{
  (void)state;
  for(unsigned round = 0; round < 120; round++) {
    struct model m;
    struct lister_stats st;
    char *seed[40];
    size_t n = 0, k;
    unsigned chains = 2 + (unsigned)rnd_below(40);
    rng_state = 0x5eedf000ULL + round;
    build(&m, 1 + rnd_below(1500), (int)(round & 1), (int)(round % 7) - 1);
    m.max_page = 1 + rnd_below(60);
    k = 1 + rnd_below(30);
    for(size_t i = 0; i < k; i++) {
      char key[64];
      if(rnd_below(2))
        snprintf(key, sizeof(key), "%s", m.e[rnd_below((uint32_t)m.n)].key);
      else
        random_key(key, sizeof(key), (int)rnd_below(6));
      seed[n++] = strdup(key);
    }
    if(round % 5) {             /* in order, duplicates out */
      size_t w = 0;
      qsort(seed, n, sizeof(*seed), str_cmp);
      for(size_t i = 0; i < n; i++) {
        if(w && !strcmp(seed[w - 1], seed[i])) {
          free(seed[i]);
          continue;
        }
        seed[w++] = seed[i];
      }
      n = w;
    }
    g_seed = (const char *const *)seed;
    g_nseed = n;
    run_listing(&m, chains, 1 + (unsigned)rnd_below((uint32_t)m.max_page),
                &st);
    g_seed = NULL;
    g_nseed = 0;
    check_all_seen(&m, 0);
    if(round % 5)
      assert_true(st.chains >= (n < chains - 1 ? n : chains - 1) + 1);
    for(size_t i = 0; i < n; i++)
      free(seed[i]);
    model_free(&m);
  }
}

static void test_changes_while_listing(void **state)
{
  (void)state;
  for(unsigned round = 0; round < 150; round++) {
    struct model m;
    struct lister_stats st;
    rng_state = 0xc4a9e000ULL + round;
    build(&m, 50 + rnd_below(600), (int)(round & 1), -1);
    m.max_page = 1 + rnd_below(40);
    m.mutate = 1;
    run_listing(&m, 1 + rnd_below(32), 1, &st);
    check_all_seen(&m, 1);
    model_free(&m);
  }
}

/* Remotion's layout splits well: many chains, few wasted pages. */
static void test_remotion_layout_goes_parallel(void **state)
{
  struct model m;
  struct lister_stats st;
  (void)state;
  rng_state = 42;
  build(&m, 20000, 0, 0);
  m.max_page = 100;
  run_listing(&m, 16, 100, &st);
  check_all_seen(&m, 0);
  print_message("20,000 keys, pages of <= 100: %u pages, %u chains, at most "
                "%u at once\n", st.pages, st.chains, st.max_active);
  assert_true(st.max_active >= 8);
  /* Random page sizes average 50 keys: 400 pages are needed; splits may
   * cost a few empty or short pages more, not many. */
  assert_true(st.pages < 400 * 13 / 10 + st.chains);
  model_free(&m);
}

/* A bucket of a page or two stays one chain. */
static void test_small_bucket_one_chain(void **state)
{
  struct model m;
  struct lister_stats st;
  (void)state;
  rng_state = 7;
  build(&m, 1500, 0, 0);
  m.max_page = 1000;
  for(int i = 0; i < 20; i++) {
    for(size_t k = 0; k < m.n; k++)
      m.e[k].seen = 0;
    run_listing(&m, 16, 1000, &st);
    check_all_seen(&m, 0);
    assert_int_equal(st.chains, 1);
  }
  model_free(&m);
}

static void test_split_points_are_ordered_and_inside(void **state)
{
  char k1[] = "renders/00abc/chunk-1", k2[] = "renders/03xyz/out.mp4",
       k3[] = "renders/05qqq/progress.json";
  struct wire_object v[3] = { { .key = k1 }, { .key = k2 }, { .key = k3 } };
  char *pts[LISTER_SPLIT_MAX];
  size_t n;
  (void)state;
  n = lister_split_points(v, 3, NULL, LISTER_SPLIT_MAX, pts);
  assert_true(n >= 2);
  assert_true(strcmp(pts[0], v[2].key) > 0);
  for(size_t i = 1; i < n; i++)
    assert_true(strcmp(pts[i], pts[i - 1]) > 0);
  /* The end of the first path segment is a point: "renders0". */
  assert_string_equal(pts[n - 1], "renders0");
  /* The others fall under renders/. */
  assert_memory_equal(pts[0], "renders/", 8);
  for(size_t i = 0; i < n; i++)
    free(pts[i]);
  /* With an end: every point before it. */
  n = lister_split_points(v, 3, "renders/2", LISTER_SPLIT_MAX, pts);
  for(size_t i = 0; i < n; i++) {
    assert_true(strcmp(pts[i], v[2].key) > 0);
    assert_true(strcmp(pts[i], "renders/2") < 0);
    free(pts[i]);
  }
  /* Nothing between adjacent strings. */
  {
    char ka[] = "a";
    struct wire_object w[1] = { { .key = ka } };
    n = lister_split_points(w, 1, "a\x01", 4, pts);
    for(size_t i = 0; i < n; i++) {
      assert_true(strcmp(pts[i], "a") > 0 && strcmp(pts[i], "a\x01") < 0);
      free(pts[i]);
    }
    assert_int_equal(n, 0);
  }
}

/* A page that does not move its chain forward fails the listing. */
static int count_entries(void *arg, const struct wire_object *v, size_t n)
{
  (void)v;
  *(size_t *)arg += n;
  return 0;
}
static struct lister_chain *last_ch;
static int remember(void *arg, struct lister_chain *ch, const char *km,
                    const char *vm)
{
  (void)arg;
  (void)km;
  (void)vm;
  last_ch = ch;
  return 0;
}

static void test_marker_going_back_fails(void **state)
{
  struct lister *l;
  size_t got = 0;
  struct lister_ops ops = { .fetch = remember, .entries = count_entries };
  struct lister_opts o = { .max_chains = 4 };
  char kb[] = "b", kc[] = "c", ka[] = "a";
  struct wire_object a[2] = { { .key = kb }, { .key = kc } };
  struct wire_object back[1] = { { .key = ka } };
  struct wire_object_page p1 = { .v = a, .n = 2, .truncated = 1 };
  struct wire_object_page p2 = { .v = back, .n = 1, .truncated = 1 };
  (void)state;
  assert_int_equal(lister_new(&o, &ops, &got, &l), 0);
  assert_int_equal(lister_kick(l), 0);
  assert_int_equal(lister_page_done(l, last_ch, &p1, 0), 0);
  assert_int_equal(lister_page_done(l, last_ch, &p2, 0), JAN_EPARSE);
  assert_true(lister_failed(l));
  assert_false(lister_complete(l));
  assert_int_equal(got, 2);
  lister_free(l);
}

/* Versioned pages of one chain, answered by hand: (n entries of key k,
 * truncated, next markers nk/nv). */
static int page(struct lister *l, const char *k, size_t n, const char *nk,
                const char *nv)
{
  struct wire_object v[4];
  struct wire_object_page p = { .v = v, .n = n, .truncated = 1,
                                .next_key_marker = (char *)(uintptr_t)nk,
                                .next_version_id_marker =
                                  (char *)(uintptr_t)nv };
  for(size_t i = 0; i < n; i++) {
    memset(&v[i], 0, sizeof(v[i]));
    v[i].key = (char *)(uintptr_t)k;
    v[i].version_id = (char *)(uintptr_t)nv;
  }
  return lister_page_done(l, last_ch, &p, 0);
}

static struct lister *one_chain(size_t *got)
{
  struct lister *l;
  static struct lister_ops ops = { .fetch = remember,
                                   .entries = count_entries };
  struct lister_opts o = { .max_chains = 1, .versioned = 1 };
  assert_int_equal(lister_new(&o, &ops, got, &l), 0);
  assert_int_equal(lister_kick(l), 0);
  return l;
}

/* Two version-id markers going round on empty pages: caught at the first
 * repeat, however the cycle is made (empty or not, two or more markers). */
static void test_marker_cycle_fails(void **state)
{
  static const struct {
    size_t n;                   /* entries a page */
    const char *cycle[4];       /* version-id markers, round and round */
    unsigned fails_at;          /* the page that repeats one */
  } t[] = {
    { 0, { "A", "B" }, 3 },
    { 1, { "A", "B" }, 3 },
    { 0, { "A", "B", "C", "D" }, 5 },
    { 0, { "A" }, 2 },
  };
  (void)state;
  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    size_t got = 0, ncyc = 0;
    struct lister *l = one_chain(&got);
    unsigned pg;
    while(ncyc < 4 && t[i].cycle[ncyc])
      ncyc++;
    for(pg = 1; pg < 10; pg++) {
      int rc = page(l, "k", t[i].n, "k", t[i].cycle[(pg - 1) % ncyc]);
      if(rc) {
        assert_int_equal(rc, JAN_EPARSE);
        break;
      }
      assert_int_equal(lister_kick(l), 0);
    }
    assert_int_equal(pg, t[i].fails_at);
    assert_true(lister_failed(l));
    assert_non_null(strstr(lister_why(l), "cycle"));
    lister_free(l);
  }
}

/* Many pages of versions of one key are fine; a new key starts afresh. */
static void test_many_versions_of_one_key(void **state)
{
  size_t got = 0;
  struct lister *l = one_chain(&got);
  char vid[32];
  (void)state;
  for(unsigned i = 0; i < 300; i++) {
    snprintf(vid, sizeof(vid), "v%u", i);
    assert_int_equal(page(l, "k", 2, "k", vid), 0);
    assert_int_equal(lister_kick(l), 0);
  }
  /* The same version id under the next key is another marker. */
  assert_int_equal(page(l, "m", 2, "m", "v1"), 0);
  assert_int_equal(lister_kick(l), 0);
  assert_int_equal(got, 602);
  assert_false(lister_failed(l));
  lister_free(l);
}

/* Empty truncated pages: at most LISTER_MAX_EMPTY_PAGES in a row, even
 * with markers that move forward; a page with entries resets the count. */
static void test_empty_pages_bounded(void **state)
{
  size_t got = 0;
  struct lister *l = one_chain(&got);
  char key[32];
  unsigned pg = 0;
  int rc = 0;
  (void)state;
  for(unsigned i = 0; i < LISTER_MAX_EMPTY_PAGES; i++) {
    snprintf(key, sizeof(key), "e%04u", pg++);
    assert_int_equal(page(l, NULL, 0, key, NULL), 0);
    assert_int_equal(lister_kick(l), 0);
  }
  snprintf(key, sizeof(key), "e%04u", pg++);
  assert_int_equal(page(l, key, 1, key, NULL), 0);
  assert_int_equal(lister_kick(l), 0);
  for(unsigned i = 0; i <= LISTER_MAX_EMPTY_PAGES && !rc; i++) {
    snprintf(key, sizeof(key), "e%04u", pg++);
    rc = page(l, NULL, 0, key, NULL);
    if(!rc)
      assert_int_equal(lister_kick(l), 0);
    else
      assert_int_equal(i, LISTER_MAX_EMPTY_PAGES);
  }
  assert_int_equal(rc, JAN_EPARSE);
  assert_non_null(strstr(lister_why(l), "empty pages in a row"));
  lister_free(l);
}

/* Past max_ms of its clock, the next page ends the listing. */
static uint64_t fake_now;
static uint64_t fake_clock(void *arg)
{
  (void)arg;
  return fake_now;
}

static void test_deadline(void **state)
{
  struct lister *l;
  size_t got = 0;
  struct lister_ops ops = { .fetch = remember, .entries = count_entries,
                            .now_ms = fake_clock };
  struct lister_opts o = { .max_chains = 1, .versioned = 1, .max_ms = 1000 };
  (void)state;
  fake_now = 5000;
  assert_int_equal(lister_new(&o, &ops, &got, &l), 0);
  assert_int_equal(lister_kick(l), 0);
  fake_now = 6000;
  assert_int_equal(page(l, "a", 1, "a", "1"), 0);
  assert_int_equal(lister_kick(l), 0);
  fake_now = 6001;
  assert_int_equal(page(l, "b", 1, "b", "1"), JAN_ETIMEDOUT);
  assert_non_null(strstr(lister_why(l), "time limit"));
  assert_int_equal(got, 1);
  lister_free(l);
}

static void test_throttle_halves_requests(void **state)
{
  struct model m;
  struct harness h = { 0 };
  struct lister_ops ops = { .fetch = h_fetch, .entries = h_entries };
  struct lister_opts o = { .max_chains = 16, .split_min = 10 };
  unsigned most = 0, after = 0;
  int throttled_once = 0, settled = 0;
  (void)state;
  rng_state = 99;
  build(&m, 5000, 0, 0);
  m.max_page = 10;
  h.m = &m;
  assert_int_equal(lister_new(&o, &ops, &h, &h.l), 0);
  assert_int_equal(lister_kick(h.l), 0);
  while(h.nq) {
    struct req r = h.q[0];
    struct wire_object_page p;
    int throttle;
    h.q[0] = h.q[--h.nq];
    answer(&h, &r, &p);
    if(lister_busy(h.l) > most)
      most = lister_busy(h.l);
    throttle = !throttled_once && most >= 12;
    assert_int_equal(lister_page_done(h.l, r.ch, &p, throttle), 0);
    throttled_once |= throttle;
    /* Once the requests sent before the throttle are back, no more than
     * half of max_chains are out at once. */
    if(throttled_once && lister_busy(h.l) <= 8)
      settled = 1;
    if(settled && lister_busy(h.l) > after)
      after = lister_busy(h.l);
    free(p.v);
    free(r.km);
    free(r.vm);
  }
  assert_true(lister_complete(h.l));
  check_all_seen(&m, 0);
  assert_true(throttled_once);
  assert_true(most >= 12);
  assert_true(settled);
  assert_true(after <= 8);
  lister_free(h.l);
  model_free(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_split_points_are_ordered_and_inside),
    cmocka_unit_test(test_random_key_sets),
    cmocka_unit_test(test_changes_while_listing),
    cmocka_unit_test(test_seeded_ranges),
    cmocka_unit_test(test_remotion_layout_goes_parallel),
    cmocka_unit_test(test_small_bucket_one_chain),
    cmocka_unit_test(test_marker_going_back_fails),
    cmocka_unit_test(test_throttle_halves_requests),
    cmocka_unit_test(test_marker_cycle_fails),
    cmocka_unit_test(test_many_versions_of_one_key),
    cmocka_unit_test(test_empty_pages_bounded),
    cmocka_unit_test(test_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
