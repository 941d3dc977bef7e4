/*
 * The parallel lister (see lister.h): ranges of the key space, each walked
 * by its own chain of pages, split while the listing runs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "janitor/err.h"
#include "janitor/lister.h"
#include "janitor/log.h"

struct lister_chain {
  struct lister *l;
  char *key_marker;             /* entries strictly after this; NULL: start */
  char *vid_marker;             /* versions of key_marker after this */
  char *hi;                     /* last key of the range; NULL: no end */
  unsigned pages;
  unsigned empty;               /* empty truncated pages in a row */
  uint64_t *seen;               /* hashes of the version-id markers met
                                   with this key_marker (a cycle test) */
  unsigned nseen, capseen;
  int spawned;                  /* made by a split: its range is dense */
  int inflight, done;
};

struct lister {
  struct lister_opts o;
  struct lister_ops ops;
  void *arg;
  struct lister_chain **ch;
  size_t n, cap;
  unsigned busy;                /* fetches out */
  unsigned active;              /* chains not done */
  unsigned limit;               /* fetches allowed at once */
  size_t next;                  /* round-robin start for kick */
  int failed;
  const char *why;              /* the failure, for a person; or NULL */
  uint64_t started;             /* now_ms() at lister_new */
  struct lister_stats st;
};

/* Keys compare as unsigned bytes (strcmp does, in C). */
static int keycmp(const char *a, const char *b)
{
  return strcmp(a, b);
}

static int add_chain(struct lister *l, const char *from, const char *hi,
                     int spawned)
{
  struct lister_chain *c;
  if(l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct lister_chain **p = realloc(l->ch, cap * sizeof(*p));
    if(!p)
      return JAN_ENOMEM;
    l->ch = p;
    l->cap = cap;
  }
  c = calloc(1, sizeof(*c));
  if(!c)
    return JAN_ENOMEM;
  c->l = l;
  c->spawned = spawned;
  c->key_marker = from ? strdup(from) : NULL;
  c->hi = hi ? strdup(hi) : NULL;
  if((from && !c->key_marker) || (hi && !c->hi)) {
    free(c->key_marker);
    free(c->hi);
    free(c);
    return JAN_ENOMEM;
  }
  l->ch[l->n++] = c;
  l->active++;
  l->st.chains++;
  if(l->active > l->st.max_active)
    l->st.max_active = l->active;
  return JAN_OK;
}

/* The seeded ranges before the last: (start, s0], (s0, s1], ... */
static int seed_chains(struct lister *l)
{
  size_t n = l->o.nseed;
  if(!l->o.seed || !n)
    return JAN_OK;
  if(n > l->o.max_chains - 1)
    n = l->o.max_chains - 1;
  for(size_t i = 0; i < n; i++)
    if(!l->o.seed[i] || (i && keycmp(l->o.seed[i - 1], l->o.seed[i]) >= 0))
      return JAN_OK;            /* not a cut of the key space: ignored */
  for(size_t i = 0; i < n; i++)
    if(add_chain(l, i ? l->o.seed[i - 1] : NULL, l->o.seed[i], 1))
      return JAN_ENOMEM;
  return JAN_OK;
}

int lister_new(const struct lister_opts *o, const struct lister_ops *ops,
               void *arg, struct lister **out)
{
  struct lister *l;
  if(!o || !ops || !ops->fetch || !ops->entries || !o->max_chains)
    return JAN_EINVAL;
  l = calloc(1, sizeof(*l));
  if(!l)
    return JAN_ENOMEM;
  l->o = *o;
  if(l->o.max_chains > LISTER_MAX_CHAINS)
    l->o.max_chains = LISTER_MAX_CHAINS;
  l->limit = l->o.max_chains;
  if(!l->o.split_min)
    l->o.split_min = LISTER_SPLIT_MIN_KEYS;
  l->ops = *ops;
  l->arg = arg;
  if(!l->o.max_ms)
    l->o.max_ms = LISTER_MAX_MS;
  if(l->ops.now_ms)
    l->started = l->ops.now_ms(l->arg);
  if(seed_chains(l) || add_chain(l, l->n ? l->o.seed[l->n - 1] : NULL, NULL,
                                 l->n != 0)) {
    lister_free(l);
    return JAN_ENOMEM;
  }
  l->o.seed = NULL;             /* the caller's: not kept */
  l->o.nseed = 0;
  *out = l;
  return JAN_OK;
}

static void chain_free(struct lister_chain *c)
{
  free(c->seen);
  free(c->key_marker);
  free(c->vid_marker);
  free(c->hi);
  free(c);
}

void lister_free(struct lister *l)
{
  if(!l)
    return;
  for(size_t i = 0; i < l->n; i++)
    chain_free(l->ch[i]);
  free(l->ch);
  free(l);
}

unsigned lister_busy(const struct lister *l)
{
  return l->busy;
}

int lister_complete(const struct lister *l)
{
  return !l->failed && !l->active;
}

int lister_failed(const struct lister *l)
{
  return l->failed;
}

void lister_stats(const struct lister *l, struct lister_stats *s)
{
  *s = l->st;
}

const char *lister_why(const struct lister *l)
{
  return l->why;
}

uint64_t lister_mono_ms(void *arg)
{
  struct timespec ts;
  (void)arg;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t lister_max_ms(void)
{
  const char *e = getenv("REMOTION_JANITOR_LIST_MAX_MS");
  char *end;
  unsigned long long v;
  if(!e || !*e)
    return LISTER_MAX_MS;
  v = strtoull(e, &end, 10);
  return *end || !v ? LISTER_MAX_MS : (uint64_t)v;
}

static int fail_why(struct lister *l, int err, const char *why)
{
  if(!l->failed)
    l->why = why;
  l->failed = 1;
  return err;
}

static int fail(struct lister *l, int err)
{
  return fail_why(l, err, NULL);
}

int lister_kick(struct lister *l)
{
  size_t n = l->n;
  if(l->failed)
    return JAN_OK;
  for(size_t k = 0; k < n && l->busy < l->limit; k++) {
    struct lister_chain *c = l->ch[(l->next + k) % n];
    int rc;
    if(c->done || c->inflight)
      continue;
    if(l->ops.may_fetch && !l->ops.may_fetch(l->arg))
      break;
    c->inflight = 1;
    l->busy++;
    rc = l->ops.fetch(l->arg, c, c->key_marker, c->vid_marker);
    if(rc) {
      c->inflight = 0;
      l->busy--;
      return fail(l, rc);
    }
  }
  /* Chains take turns, so none starves behind the others. */
  if(n)
    l->next = (l->next + 1) % n;
  return JAN_OK;
}

/* ---- split points ------------------------------------------------------ */

static char *range_dup(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if(p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/*
 * The page's keys give the alphabet; strings are read as numbers of D
 * digits in that alphabet from the first position where last and the end
 * of the range differ, and the points are spread evenly between them.
 * The end of the first path segment of last ("renders/" -> "renders0") is
 * a natural end: keys under one prefix are dense, the rest is elsewhere,
 * so that end is itself a point and the others are spread before it.
 */
size_t lister_split_points(const struct wire_object *v, size_t n,
                           const char *hi, size_t want, char **out)
{
  unsigned char alpha[256];
  int rank[256];
  unsigned b = 0, d;
  const char *last, *slash, *end = hi;
  char *seg = NULL;
  size_t p = 0, got = 0, lastlen;
  uint64_t vlo = 0, vhi = 0, vfirst = 0, scale = 1;
  const char *first = v[0].key;
  size_t firstlen = strlen(first);
  int same = 0;
  int in[256] = { 0 };

  if(!n || !want)
    return 0;
  last = v[n - 1].key;
  lastlen = strlen(last);
  for(size_t i = 0; i < n; i++)
    for(const unsigned char *k = (const unsigned char *)v[i].key; *k; k++)
      in[*k] = 1;
  if(hi)
    for(const unsigned char *k = (const unsigned char *)hi; *k; k++)
      in[*k] = 1;
  /* Points are made of ASCII only: a start-after that is not valid UTF-8
   * is not something to send S3.  Keys with other bytes are still listed,
   * only not split inside. */
  for(int c = 1; c < 256; c++) {
    rank[c] = (int)b;
    if(in[c] && c < 0x80)
      alpha[b++] = (unsigned char)c;
  }
  rank[0] = 0;
  if(b < 2)
    return 0;

  slash = strchr(last, '/');
  if(slash) {
    seg = range_dup(last, (size_t)(slash - last) + 1);
    if(!seg)
      return 0;
    seg[slash - last] = '/' + 1;
    if(hi && keycmp(seg, hi) >= 0) {
      free(seg);
      seg = NULL;
    }
    else {
      end = seg;
    }
  }
  if(end)
    while(last[p] && last[p] == end[p])
      p++;
  /* Not inside a UTF-8 sequence: the prefix of a point stays valid. */
  while(p && ((unsigned char)last[p] & 0xC0) == 0x80)
    p--;
  /* D digits of base b: b^D stays below 2^52 (8 digits at most). */
  for(d = 0; d < 8 && scale * b < ((uint64_t)1 << 52); d++)
    scale *= b;
  same = !strncmp(first, last, p);
  for(unsigned i = 0; i < d; i++) {
    unsigned char cl = p + i < lastlen ? (unsigned char)last[p + i] : 0;
    unsigned char cf = p + i < firstlen ? (unsigned char)first[p + i] : 0;
    vlo = vlo * b + (uint64_t)rank[cl];
    vfirst = vfirst * b + (same ? (uint64_t)rank[cf] : 0);
    if(end) {
      size_t el = strlen(end);
      unsigned char ce = p + i < el ? (unsigned char)end[p + i] : 0;
      vhi = vhi * b + (uint64_t)rank[ce];
    }
  }
  if(!end)
    vhi = scale;
  {
    size_t m = seg ? want - 1 : want;
    /* As dense as this page, the rest of the range holds est pages: no
     * more chains than that (a range of a page or less is not split). */
    if(vlo > vfirst) {
      uint64_t est = (vhi > vlo ? vhi - vlo : 0) / (vlo - vfirst);
      if(est <= m)
        m = est < 2 ? 0 : (size_t)est - 1;
    }
    const char *prev = last;
    for(size_t j = 1; j <= m && vhi > vlo + 1; j++) {
      uint64_t x = vlo + (vhi - vlo) * j / (m + 1);
      char *s = malloc(p + d + 1);
      size_t len = p;
      if(!s)
        break;
      memcpy(s, last, p);
      for(unsigned i = 0; i < d; i++) {
        uint64_t div = 1;
        for(unsigned k = i + 1; k < d; k++)
          div *= b;
        s[len++] = (char)alpha[(x / div) % b];
      }
      s[len] = '\0';
      /* Trailing smallest digits say nothing more: drop them. */
      while(len > p + 1 && (unsigned char)s[len - 1] == alpha[0])
        s[--len] = '\0';
      if(keycmp(s, prev) <= 0 || (end && keycmp(s, end) >= 0)) {
        free(s);
        continue;
      }
      out[got++] = s;
      prev = s;
    }
    if(seg && keycmp(seg, prev) > 0)
      out[got++] = seg;
    else
      free(seg);
  }
  return got;
}

/* ---- pages --------------------------------------------------------------- */

/* Split what is left of c's range, into at least min_k new ranges (else
 * not at all). */
static int split(struct lister *l, struct lister_chain *c,
                 const struct wire_object_page *p, size_t min_k)
{
  char *pts[LISTER_SPLIT_MAX];
  size_t want = l->limit > l->active ? l->limit - l->active : 0, k;
  int rc = JAN_OK;

  if(want > LISTER_SPLIT_MAX)
    want = LISTER_SPLIT_MAX;
  if(!want)
    return JAN_OK;
  k = lister_split_points(p->v, p->n, c->hi, want, pts);
  if(k < min_k) {
    for(size_t i = 0; i < k; i++)
      free(pts[i]);
    return JAN_OK;
  }
  if(!k)
    return JAN_OK;
  /* The new ranges: (pts[i], pts[i+1]] and (pts[k-1], c->hi]. */
  for(size_t i = 0; i < k && !rc; i++)
    rc = add_chain(l, pts[i], i + 1 < k ? pts[i + 1] : c->hi, 1);
  if(!rc) {
    free(c->hi);
    c->hi = pts[0];
    pts[0] = NULL;
  }
  for(size_t i = 0; i < k; i++)
    free(pts[i]);
  return rc;
}

static void chain_end(struct lister *l, struct lister_chain *c)
{
  c->done = 1;
  l->active--;
}

/* FNV-1a, 64 bits: a version-id marker remembered in 8 bytes. */
static uint64_t marker_hash(const char *s)
{
  uint64_t h = 14695981039346656037ull;
  for(; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

#define LISTER_STR_(x) #x
#define LISTER_STR(x) LISTER_STR_(x)

/*
 * May chain c move on to (nk, nv)?  NULL, or why not.  Keys only go
 * forward; a chain that stays on one key (its versions, page after page)
 * must bring a version-id marker it has not brought before with that key:
 * every marker of the key is remembered (as a hash), so a server that goes
 * round, however long its cycle, is caught at its first repeat.
 */
static const char *marker_check(struct lister_chain *c, const char *nk,
                                const char *nv, int *err)
{
  uint64_t h;

  *err = JAN_EPARSE;
  if(!nk)
    return "a truncated page gave no marker to go on from";
  if(c->key_marker) {
    int cmp = keycmp(nk, c->key_marker);
    if(cmp < 0 || (!cmp && !nv))
      return "a paging marker went back or repeated";
    if(cmp > 0)
      c->nseen = 0;             /* a new key: its own markers */
  }
  if(!nv)
    return NULL;
  h = marker_hash(nv);
  for(unsigned i = 0; i < c->nseen; i++)
    if(c->seen[i] == h)
      return "a version-id marker came back: the markers go round in a "
             "cycle";
  if(c->nseen == LISTER_MAX_KEY_PAGES)
    return "more than " LISTER_STR(LISTER_MAX_KEY_PAGES) " pages inside "
           "one key";
  if(c->nseen == c->capseen) {
    unsigned cap = c->capseen ? c->capseen * 2 : 8;
    uint64_t *p = realloc(c->seen, cap * sizeof(*p));
    if(!p) {
      *err = JAN_ENOMEM;
      return "out of memory";
    }
    c->seen = p;
    c->capseen = cap;
  }
  c->seen[c->nseen++] = h;
  return NULL;
}

int lister_page_done(struct lister *l, struct lister_chain *c,
                     const struct wire_object_page *p, int throttled)
{
  size_t take;
  const char *nk;
  const char *nv = NULL;
  const char *why;
  int rc;

  c->inflight = 0;
  l->busy--;
  if(l->failed)
    return JAN_OK;
  if(!p)
    return fail(l, JAN_EAWS);
  l->st.pages++;
  /* However a server pages, a listing ends by its deadline. */
  if(l->ops.now_ms && l->ops.now_ms(l->arg) - l->started > l->o.max_ms)
    return fail_why(l, JAN_ETIMEDOUT, "the listing ran past its time limit");
  if(throttled && l->limit > 1) {
    l->limit /= 2;
    jlog_info("lister", "throttled: at most %u listing requests at once",
              l->limit);
  }
  /* Entries past the range's end belong to the next range. */
  take = p->n;
  if(c->hi)
    for(size_t i = 0; i < p->n; i++)
      if(keycmp(p->v[i].key, c->hi) > 0) {
        take = i;
        break;
      }
  /* Nothing may come before where the chain stands. */
  if(take && c->key_marker) {
    int cmp = keycmp(p->v[0].key, c->key_marker);
    if(cmp < 0 || (cmp == 0 && !c->vid_marker))
      return fail_why(l, JAN_EPARSE, "a page went back before its marker");
  }
  for(size_t i = 1; i < take; i++)
    if(keycmp(p->v[i].key, p->v[i - 1].key) < 0)
      return fail_why(l, JAN_EPARSE, "a page is not in key order");
  if(take) {
    l->st.entries += take;
    rc = l->ops.entries(l->arg, p->v, take);
    if(rc)
      return fail(l, rc);
  }
  if(take < p->n || !p->truncated) {
    chain_end(l, c);
    return lister_kick(l);
  }
  /* S3 fills its pages: a run of empty ones is a server going nowhere. */
  if(p->n)
    c->empty = 0;
  else if(++c->empty > LISTER_MAX_EMPTY_PAGES)
    return fail_why(l, JAN_EPARSE, "more than "
                    LISTER_STR(LISTER_MAX_EMPTY_PAGES) " empty pages in a "
                    "row");
  /* The next markers: the server's, or (ListObjectsV2) the last key. */
  if(l->o.versioned) {
    nk = p->next_key_marker;
    nv = p->next_version_id_marker;
  }
  else {
    nk = p->n ? p->v[p->n - 1].key : NULL;
  }
  if((why = marker_check(c, nk, nv, &rc)) != NULL)
    return fail_why(l, rc, why);
  if(++c->pages >= LISTER_MAX_PAGES)
    return fail_why(l, JAN_EPARSE, "more than "
                    LISTER_STR(LISTER_MAX_PAGES) " pages in one chain");
  if(c->hi && keycmp(nk, c->hi) > 0) {
    chain_end(l, c);
    return lister_kick(l);
  }
  {
    char *k2 = strdup(nk), *v2 = nv ? strdup(nv) : NULL;
    if(!k2 || (nv && !v2)) {
      free(k2);
      free(v2);
      return fail(l, JAN_ENOMEM);
    }
    free(c->key_marker);
    free(c->vid_marker);
    c->key_marker = k2;
    c->vid_marker = v2;
  }
  /* A full page: more of the same is likely.  The first chain's first
   * page splits only where its keys say two more pages at least (more
   * than the next path segment alone), so that a bucket of a page or two
   * stays one chain, and a large one goes parallel a round earlier. */
  if(p->n >= l->o.split_min && !throttled) {
    rc = split(l, c, p, c->spawned || c->pages >= 2 ? 1 : 2);
    if(rc)
      return fail(l, rc);
  }
  return lister_kick(l);
}
