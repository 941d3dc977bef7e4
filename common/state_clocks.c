/*
 * The grace clocks of one state (state.h): a table of (key, since) sorted
 * by key, held the way a sorted list of similar keys is cheapest to hold.
 *
 * The clocks are cut into chunks of at most CK_MAX, each one allocation.
 * In a chunk every key is stored as what it adds to the key before it (the
 * first key whole), and every clock as its difference from the one before,
 * so that the 400,000 render clocks of one bucket
 * ("render|REGION|BUCKET/renders/ID|0", about 60 bytes each) cost about 13
 * bytes a clock instead of a 16-byte record and the key's bytes.  An entry:
 *
 *   flags     one byte: SEEN when the clock was set since the last
 *             state_clocks_settle() (this sweep's)
 *   shared    varint: bytes shared with the key before (0 for the first)
 *   len       varint: bytes that follow
 *   suffix    len bytes: the rest of the key
 *   since     varint: the clock minus the one before, zigzag (the first:
 *             minus 0)
 *
 * A look-up is a binary search on the chunks' first keys and a walk through
 * one chunk; the state keeps its last look-up (struct state_seek), so that
 * setting the clock just read walks nothing again and a key after the one
 * before in the same chunk (a sweep reads in key order) is walked to from
 * there.  A clock added after the table's last (a load, a first sweep) is
 * written at the end with no look-up; one added after the last of another
 * chunk is written at that chunk's end; any other change writes its chunk
 * again, split in two when it is full.  Keys are compared as unsigned
 * bytes, strcmp()'s order (they hold no NUL byte).
 */
#include <stdlib.h>
#include <string.h>

#include "janitor/caps.h"
#include "state_int.h"

#define CK_MAX 64u
#define SEEN 1u
/* The most an entry adds beyond its suffix: flags and three varints. */
#define ENTRY_OVER (1 + 3 * 10)

struct state_ck {
  uint32_t n;                   /* entries */
  uint32_t len, cap;            /* bytes used, allocated */
  unsigned char d[];
};

/* ---- encoding ---- */

static size_t put_varint(unsigned char *p, uint64_t v)
{
  size_t n = 0;
  while(v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

static uint64_t get_varint(const unsigned char **p)
{
  uint64_t v = 0;
  unsigned shift = 0;
  while(**p & 0x80) {
    v |= (uint64_t)(**p & 0x7f) << shift;
    shift += 7;
    (*p)++;
  }
  v |= (uint64_t)**p << shift;
  (*p)++;
  return v;
}

/* get_varint() on a pointer into memory the caller may change. */
static uint64_t take_varint(unsigned char **p)
{
  const unsigned char *q = *p;
  uint64_t v = get_varint(&q);
  *p += q - *p;
  return v;
}

static uint64_t zigzag(int64_t v)
{
  return v < 0 ? ((uint64_t)-(v + 1) << 1) | 1 : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t v)
{
  return v & 1 ? -(int64_t)(v >> 1) - 1 : (int64_t)(v >> 1);
}

/* A walk through one chunk: each step gives the next entry's whole key
 * (NUL-terminated) and clock. */
struct walk {
  unsigned char *p, *end;
  unsigned char *entry;         /* the current entry's first byte */
  size_t klen;
  int64_t since;
  char key[JAN_STATE_KEY_MAX + 1];
};

/*
 * The last look-up of a state (st->seek, allocated on the first): where
 * key was found or would go, and the walk left there, so that setting the
 * clock just read (a sweep reads a clock, then sets it) walks no chunk
 * again.  Any change to the chunks makes it stale (valid 0).
 */
struct state_seek {
  struct walk w;
  size_t ci, at;
  int found, valid;
  size_t klen;
  char key[JAN_STATE_KEY_MAX + 1];
  /* The table's last clock, when known (tvalid): a key after it is
   * written at the end with no look-up. */
  int tvalid;
  size_t tlen;
  int64_t tsince;
  char tkey[JAN_STATE_KEY_MAX + 1];
};

static void walk_start(struct walk *w, struct state_ck *c)
{
  w->p = c->d;
  w->end = c->d + c->len;
  w->klen = 0;
  w->since = 0;
}

static int walk_next(struct walk *w)
{
  uint64_t shared, len;

  if(w->p >= w->end)
    return 0;
  w->entry = w->p++;
  shared = take_varint(&w->p);
  len = take_varint(&w->p);
  JAN_REQUIRE(shared <= w->klen && shared + len <= JAN_STATE_KEY_MAX);
  memcpy(w->key + shared, w->p, (size_t)len);
  w->p += len;
  w->klen = (size_t)(shared + len);
  w->key[w->klen] = '\0';
  w->since += unzigzag(take_varint(&w->p));
  return 1;
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  int c = memcmp(a, b, alen < blen ? alen : blen);
  return c ? c : (alen > blen) - (alen < blen);
}

/* Compare key with chunk c's first key. */
static int first_cmp(const struct state_ck *c, const char *key, size_t klen)
{
  const unsigned char *p = c->d + 1;
  size_t len;
  (void)get_varint(&p);         /* shared: 0 */
  len = (size_t)get_varint(&p);
  return key_cmp(key, klen, (const char *)p, len);
}

/* Bytes key and prev share at their start. */
static size_t shared_len(const char *prev, size_t plen, const char *key,
                         size_t klen)
{
  size_t n = 0, max = plen < klen ? plen : klen;
  while(n < max && prev[n] == key[n])
    n++;
  return n;
}

/* Write one entry at p (room for klen + ENTRY_OVER bytes). */
static size_t put_entry(unsigned char *p, unsigned flags, const char *prev,
                        size_t plen, const char *key, size_t klen,
                        int64_t delta)
{
  size_t shared = prev ? shared_len(prev, plen, key, klen) : 0, n = 0;
  p[n++] = (unsigned char)flags;
  n += put_varint(p + n, shared);
  n += put_varint(p + n, klen - shared);
  memcpy(p + n, key + shared, klen - shared);
  n += klen - shared;
  n += put_varint(p + n, zigzag(delta));
  return n;
}

/* ---- chunks ---- */

static int cks_insert(struct state *st, size_t at, struct state_ck *c)
{
  if(st->nck == st->capck) {
    size_t cap = st->capck ? st->capck * 2 : 16;
    struct state_ck **v = cap > SIZE_MAX / sizeof(*v) ? NULL :
        realloc(st->ck, cap * sizeof(*v));
    if(!v)
      return JAN_ENOMEM;
    st->ck = v;
    st->capck = cap;
  }
  memmove(st->ck + at + 1, st->ck + at, (st->nck - at) * sizeof(*st->ck));
  st->ck[at] = c;
  st->nck++;
  return JAN_OK;
}

/* A chunk whose only entry is key. */
static struct state_ck *ck_one(unsigned flags, const char *key, size_t klen,
                               int64_t since)
{
  size_t cap = klen + ENTRY_OVER + 256;
  struct state_ck *c = malloc(sizeof(*c) + cap);
  if(!c)
    return NULL;
  c->n = 1;
  c->cap = (uint32_t)cap;
  c->len = (uint32_t)put_entry(c->d, flags, NULL, 0, key, klen, since);
  return c;
}

/* One entry of a chunk being written again. */
struct row {
  size_t off, len;              /* its key in the rows' arena */
  int64_t since;
  unsigned flags;
};

struct rows {
  struct row *r;
  size_t n;
  char *arena;
  size_t used;
};

static void rows_free(struct rows *rs)
{
  free(rs->r);
  free(rs->arena);
}

/* The entries of c, with room for one more (its key at most
 * JAN_STATE_KEY_MAX bytes). */
static int rows_of(struct state_ck *c, struct rows *rs)
{
  struct walk *w = malloc(sizeof(*w));
  size_t keys = JAN_STATE_KEY_MAX;

  rs->r = NULL;
  rs->arena = NULL;
  rs->n = rs->used = 0;
  if(!w)
    return JAN_ENOMEM;
  walk_start(w, c);
  while(walk_next(w))
    keys += w->klen;
  rs->r = malloc((c->n + 1) * sizeof(*rs->r));
  rs->arena = malloc(keys);
  if(!rs->r || !rs->arena) {
    free(w);
    rows_free(rs);
    return JAN_ENOMEM;
  }
  walk_start(w, c);
  while(walk_next(w)) {
    struct row *r = &rs->r[rs->n++];
    r->off = rs->used;
    r->len = w->klen;
    r->since = w->since;
    r->flags = *w->entry;
    memcpy(rs->arena + rs->used, w->key, w->klen);
    rs->used += w->klen;
  }
  free(w);
  return JAN_OK;
}

/* A chunk of rows [from, to), or NULL. */
static struct state_ck *ck_of(const struct rows *rs, size_t from, size_t to)
{
  size_t size = 0;
  struct state_ck *c;
  const char *prev = NULL;
  size_t plen = 0;
  int64_t last = 0;

  for(size_t i = from; i < to; i++)
    size += rs->r[i].len + ENTRY_OVER;
  c = malloc(sizeof(*c) + size);
  if(!c)
    return NULL;
  c->n = (uint32_t)(to - from);
  c->len = 0;
  for(size_t i = from; i < to; i++) {
    const struct row *r = &rs->r[i];
    const char *key = rs->arena + r->off;
    c->len += (uint32_t)put_entry(c->d + c->len, r->flags, prev, plen, key,
                                  r->len, r->since - last);
    prev = key;
    plen = r->len;
    last = r->since;
  }
  c->cap = c->len;
  /* Given back what the estimate took beyond the bytes written. */
  {
    struct state_ck *s = realloc(c, sizeof(*c) + (c->len ? c->len : 1));
    if(s)
      c = s;
  }
  return c;
}

/* Replace chunk ci by rs's rows: one chunk, two when there are more than
 * CK_MAX, none when there are no rows. */
static int ck_replace(struct state *st, size_t ci, const struct rows *rs)
{
  struct state_ck *a = NULL, *b = NULL;
  size_t half = rs->n > CK_MAX ? rs->n / 2 : rs->n;

  if(rs->n && !(a = ck_of(rs, 0, half)))
    return JAN_ENOMEM;
  if(half < rs->n && !(b = ck_of(rs, half, rs->n))) {
    free(a);
    return JAN_ENOMEM;
  }
  if(b && cks_insert(st, ci + 1, b)) {
    free(a);
    free(b);
    return JAN_ENOMEM;
  }
  free(st->ck[ci]);
  if(a)
    st->ck[ci] = a;
  else {
    memmove(st->ck + ci, st->ck + ci + 1,
            (st->nck - ci - 1) * sizeof(*st->ck));
    st->nck--;
  }
  return JAN_OK;
}

/* The chunk key belongs in: the last whose first key is not after it (0
 * when key comes before them all).  st has chunks. */
static size_t ck_find(const struct state *st, const char *key, size_t klen)
{
  size_t lo = 0, hi = st->nck;
  while(hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if(first_cmp(st->ck[mid], key, klen) >= 0)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* Walk on (w's entry index i next) up to key: 1 when found (w on it),
 * else 0 with *at the index key would take; when that is the chunk's
 * end, w is on its last entry (key and clock). */
static int walk_to(struct walk *w, size_t i, const char *key, size_t klen,
                   size_t *at)
{
  while(walk_next(w)) {
    int cmp = key_cmp(w->key, w->klen, key, klen);
    if(cmp >= 0) {
      *at = i;
      return cmp == 0;
    }
    i++;
  }
  *at = i;
  return 0;
}

/* ---- the table ---- */

/*
 * Seek key (klen bytes, at most JAN_STATE_KEY_MAX) in st, which has
 * chunks: k on it.  A sweep looks its resources up in key order, mostly:
 * a key after the last one sought, in the same chunk, is walked to from
 * there, not from the chunk's start.
 */
static void seek(const struct state *st, struct state_seek *k,
                 const char *key, size_t klen)
{
  int on = 0;
  size_t from;

  if(k->valid) {
    int c = key_cmp(key, klen, k->key, k->klen);
    if(c == 0)
      return;
    on = c > 0 && (k->found || k->at == st->ck[k->ci]->n) &&
         (k->ci + 1 == st->nck ||
          first_cmp(st->ck[k->ci + 1], key, klen) < 0);
  }
  if(on)
    from = k->found ? k->at + 1 : k->at;   /* the entry after w's */
  else {
    k->ci = ck_find(st, key, klen);
    walk_start(&k->w, st->ck[k->ci]);
    from = 0;
  }
  k->found = walk_to(&k->w, from, key, klen, &k->at);
  k->klen = klen;
  memcpy(k->key, key, klen);
  k->valid = 1;
}

/* st's look-up, allocated on the first use (NULL: out of memory). */
static struct state_seek *seek_of(struct state *st)
{
  if(!st->seek && (st->seek = malloc(sizeof(*st->seek))))
    st->seek->valid = st->seek->tvalid = 0;
  return st->seek;
}

int64_t state_clock_get(const struct state *st, const char *key)
{
  JAN_REQUIRE(st && key);
  /* A state with chunks has its look-up (allocated by the first put);
   * without it (memory ran out then) no clock is found, which only
   * restarts a grace, never shortens one. */
  if(!st->nck || !st->seek || strlen(key) > JAN_STATE_KEY_MAX)
    return -1;
  seek(st, st->seek, key, strlen(key));
  return st->seek->found ? st->seek->w.since : -1;
}

/* The rows of chunk ci with key put at index at (or its clock replaced:
 * found), written again. */
static int ck_edit(struct state *st, size_t ci, size_t at, int found,
                   const char *key, size_t klen, int64_t since,
                   unsigned flags)
{
  struct rows rs;
  int rc;

  if(rows_of(st->ck[ci], &rs))
    return JAN_ENOMEM;
  if(found) {
    rs.r[at].since = since;
    rs.r[at].flags = flags;
  }
  else {
    memmove(rs.r + at + 1, rs.r + at, (rs.n - at) * sizeof(*rs.r));
    rs.r[at].off = rs.used;
    rs.r[at].len = klen;
    rs.r[at].since = since;
    rs.r[at].flags = flags;
    memcpy(rs.arena + rs.used, key, klen);
    rs.used += klen;
    rs.n++;
  }
  rc = ck_replace(st, ci, &rs);
  rows_free(&rs);
  return rc;
}

/* Put key after the last entry of chunk ci (prev, plen, prev_since):
 * at its end, or as the first of a new chunk after it when it is full. */
static int ck_append(struct state *st, size_t ci, const char *prev,
                     size_t plen, int64_t prev_since, unsigned flags,
                     const char *key, size_t klen, int64_t since)
{
  struct state_ck *c = st->ck[ci];

  if(c->n >= CK_MAX) {
    struct state_ck *n = ck_one(flags, key, klen, since);
    if(!n || cks_insert(st, ci + 1, n)) {
      free(n);
      return JAN_ENOMEM;
    }
    if(c->cap > c->len) {
      struct state_ck *s = realloc(c, sizeof(*c) + c->len);
      if(s) {
        s->cap = s->len;
        st->ck[ci] = s;
      }
    }
    return JAN_OK;
  }
  if(c->len + klen + ENTRY_OVER > c->cap) {
    size_t need = c->len + klen + ENTRY_OVER;
    size_t cap = need + need / 4 + 256;
    struct state_ck *s = realloc(c, sizeof(*c) + cap);
    if(!s)
      return JAN_ENOMEM;
    s->cap = (uint32_t)cap;
    st->ck[ci] = c = s;
  }
  c->len += (uint32_t)put_entry(c->d + c->len, flags, prev, plen, key, klen,
                                since - prev_since);
  c->n++;
  return JAN_OK;
}

/* The table's last clock is key, since (after an append at its end). */
static void tail_is(struct state_seek *k, const char *key, size_t klen,
                    int64_t since)
{
  memcpy(k->tkey, key, klen);
  k->tlen = klen;
  k->tsince = since;
  k->tvalid = 1;
}

int state_clock_put(struct state *st, const char *key, size_t klen,
                    int64_t since, int seen, int *existed)
{
  unsigned flags = seen ? SEEN : 0;
  struct state_seek *k;
  struct walk *w;
  struct state_ck *c;
  size_t ci, at;
  int rc = JAN_OK;

  *existed = 0;
  if(!klen || klen > JAN_STATE_KEY_MAX || memchr(key, '\0', klen) ||
     since < 0 || since > STATE_CLOCK_MAX)
    return JAN_EINVAL;
  if(!(k = seek_of(st)))
    return JAN_ENOMEM;
  if(!st->nck) {
    k->valid = 0;
    if(!(c = ck_one(flags, key, klen, since)) || cks_insert(st, 0, c)) {
      free(c);
      return JAN_ENOMEM;
    }
    st->n++;
    tail_is(k, key, klen, since);
    return JAN_OK;
  }
  /* After the last clock (a load, a first sweep): no look-up. */
  if(k->tvalid && key_cmp(key, klen, k->tkey, k->tlen) > 0) {
    k->valid = 0;
    rc = ck_append(st, st->nck - 1, k->tkey, k->tlen, k->tsince, flags, key,
                   klen, since);
    if(!rc) {
      st->n++;
      tail_is(k, key, klen, since);
    }
    return rc;
  }
  seek(st, k, key, klen);
  w = &k->w;
  ci = k->ci;
  at = k->at;
  c = st->ck[ci];
  if(k->found) {
    *existed = 1;
    if(w->since == since)
      /* A mark: the chunks' bytes do not move, the look-up holds. */
      *w->entry = (unsigned char)(*w->entry | flags);
    else {
      k->valid = k->tvalid = 0;
      rc = ck_edit(st, ci, at, 1, key, klen, since, *w->entry | flags);
    }
  }
  else if(at < c->n) {
    k->valid = k->tvalid = 0;
    rc = ck_edit(st, ci, at, 0, key, klen, since, flags);
  }
  else {
    /* After the chunk's last (w is on it). */
    int last = ci == st->nck - 1;
    k->valid = 0;
    rc = ck_append(st, ci, w->key, w->klen, w->since, flags, key, klen,
                   since);
    if(!rc && last)
      tail_is(k, key, klen, since);
  }
  if(!rc && !*existed)
    st->n++;
  return rc;
}

int state_clock_set(struct state *st, const char *key, int64_t since)
{
  int existed;
  JAN_REQUIRE(st && key);
  return state_clock_put(st, key, strlen(key), since, 1, &existed);
}

/* Clear the marks of c's entries, in place. */
static void ck_unmark(struct state_ck *c)
{
  for(unsigned char *p = c->d; p < c->d + c->len;) {
    *p++ &= (unsigned char)~SEEN;
    (void)take_varint(&p);
    p += take_varint(&p);
    (void)take_varint(&p);
  }
}

void state_clocks_settle(struct state *st)
{
  JAN_REQUIRE(st);
  if(st->seek)
    st->seek->valid = st->seek->tvalid = 0;
  for(size_t ci = 0; ci < st->nck;) {
    struct state_ck *c = st->ck[ci];
    struct rows rs;
    size_t kept = 0, was = c->n;

    if(rows_of(c, &rs)) {
      /* Out of memory: nothing is dropped from this chunk, which can only
       * keep clocks longer (a grace never shortens); its marks go. */
      ck_unmark(c);
      ci++;
      continue;
    }
    for(size_t i = 0; i < rs.n; i++)
      if(rs.r[i].flags & SEEN) {
        rs.r[kept] = rs.r[i];
        rs.r[kept++].flags = 0;
      }
    rs.n = kept;
    if(ck_replace(st, ci, &rs) == JAN_OK) {
      st->n -= was - kept;
      if(kept)
        ci++;
    }
    else
      ci++;
    rows_free(&rs);
  }
}

void state_clocks_unmark(struct state *st)
{
  for(size_t ci = 0; ci < st->nck; ci++)
    ck_unmark(st->ck[ci]);
}

void state_clocks_free(struct state *st)
{
  for(size_t i = 0; i < st->nck; i++)
    free(st->ck[i]);
  free(st->ck);
  free(st->seek);
  st->seek = NULL;
  st->ck = NULL;
  st->nck = st->capck = st->n = 0;
}

void state_clocks_move(struct state *dst, struct state *src)
{
  state_clocks_free(dst);
  dst->ck = src->ck;
  dst->nck = src->nck;
  dst->capck = src->capck;
  dst->n = src->n;
  dst->seek = src->seek;
  if(dst->seek)
    dst->seek->valid = 0;
  src->seek = NULL;
  src->ck = NULL;
  src->nck = src->capck = src->n = 0;
}

size_t state_clocks_bytes(const struct state *st)
{
  size_t n = st->capck * sizeof(*st->ck);
  for(size_t i = 0; i < st->nck; i++)
    n += sizeof(*st->ck[i]) + st->ck[i]->cap;
  return n;
}

/* ---- iteration ---- */

struct state_clock_iter {
  const struct state *st;
  size_t ci;
  struct walk w;
};

struct state_clock_iter *state_clock_iter_new(const struct state *st)
{
  struct state_clock_iter *it = malloc(sizeof(*it));
  if(!it)
    return NULL;
  it->st = st;
  it->ci = 0;
  if(st->nck)
    walk_start(&it->w, st->ck[0]);
  return it;
}

int state_clock_next(struct state_clock_iter *it, struct state_clock *c)
{
  while(it->ci < it->st->nck) {
    if(walk_next(&it->w)) {
      c->key = it->w.key;
      c->len = it->w.klen;
      c->since = it->w.since;
      c->seen = *it->w.entry & SEEN;
      return 1;
    }
    if(++it->ci < it->st->nck)
      walk_start(&it->w, it->st->ck[it->ci]);
  }
  return 0;
}

void state_clock_iter_mark(struct state_clock_iter *it)
{
  *it->w.entry |= SEEN;
}

void state_clock_iter_free(struct state_clock_iter *it)
{
  free(it);
}
