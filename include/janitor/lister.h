/*
 * Listing one bucket in parallel by splitting the key space.
 *
 * S3 lists at most 1000 keys a request, one page after another; but a
 * listing may start after any string (start-after in ListObjectsV2,
 * key-marker in ListObjectVersions; the string need not be a key).  The
 * lister cuts the key space into ranges (lo, hi] and walks each range in
 * its own chain of pages, at once:
 *
 *   - one chain at first, over the whole space; a bucket that fits in a
 *     page or two is listed by it alone (its first page splits only into
 *     two new ranges or more: where its keys say two more pages at least);
 *   - a chain whose page comes back full splits what is left of its range
 *     (last, hi] at points chosen from the keys it has seen (the alphabet of
 *     the page, and the first path segment as a natural boundary), keeps the
 *     first piece and gives each other piece a new chain;
 *   - a chain ends at the end of its range: an entry whose key is past hi
 *     ends it (that entry belongs to the next range and is dropped here).
 *
 * Ranges never overlap and together cover the space, and each chain lists
 * its range completely (markers only move forward, checked), so every entry
 * is produced exactly once, whatever the split points are: their choice
 * only decides the speed.  Keys compare as unsigned bytes, as S3 compares
 * UTF-8 keys.  Versioned listings continue inside a key with the version-id
 * marker; a key's versions all fall in the range of the key.
 *
 * No I/O here: the caller sends each page request (ops.fetch) and hands the
 * answer back (lister_page_done), so the same code runs against S3 and
 * against an in-memory model in the tests.
 */
#ifndef JANITOR_LISTER_H
#define JANITOR_LISTER_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/wire.h"

#define LISTER_MAX_CHAINS     64   /* hard cap on chains at once */
#define LISTER_SPLIT_MAX      32   /* new chains made by one split */
#define LISTER_SPLIT_MIN_KEYS 500  /* a page at least this full splits */
#define LISTER_MAX_PAGES      1000000   /* per chain: a server going round */
/*
 * What a listing must do to be believed (see lister_page_done):
 *   - at most LISTER_MAX_EMPTY_PAGES empty truncated pages in a row in a
 *     chain: S3 fills a page up to max-keys unless little is left, so even
 *     one empty truncated page is rare; 16 leaves room for a server that
 *     skips runs of hidden entries, and costs 16 requests at most;
 *   - inside one key (its versions, page after page), never a version-id
 *     marker twice, and at most LISTER_MAX_KEY_PAGES pages (a million
 *     versions of one key; 8 KiB of marker hashes per chain);
 *   - done within max_ms (LISTER_MAX_MS unless set, or
 *     REMOTION_JANITOR_LIST_MAX_MS: lister_max_ms()) of lister_new, checked
 *     when each page comes back: a listing never lasts longer than that plus
 *     one request (request_timeout and its retries).
 */
#define LISTER_MAX_EMPTY_PAGES 16
#define LISTER_MAX_KEY_PAGES   1024
#define LISTER_MAX_MS          (30u * 60 * 1000)

struct lister;
struct lister_chain;

struct lister_ops {
  /* Request the next page of chain ch: the entries strictly after
   * key_marker (NULL: from the start of the key space), or, with
   * vid_marker, the versions of key_marker after vid_marker first.  The
   * answer must come back through lister_page_done(), exactly once, also
   * when the request fails.  Return non-zero if it could not be sent
   * (lister_page_done must then not be called). */
  int (*fetch)(void *arg, struct lister_chain *ch, const char *key_marker,
               const char *vid_marker);
  /* Entries in the listing, each exactly once (n >= 1).  Return non-zero
   * to stop the listing (out of memory). */
  int (*entries)(void *arg, const struct wire_object *v, size_t n);
  /* 1 when another page may be requested now (back-pressure); NULL:
   * always. */
  int (*may_fetch)(void *arg);
  /* A monotonic clock in milliseconds (lister_mono_ms); NULL: the listing
   * has no deadline (tests). */
  uint64_t (*now_ms)(void *arg);
};

struct lister_opts {
  unsigned max_chains;          /* chains at once, 1..LISTER_MAX_CHAINS */
  int versioned;                /* ListObjectVersions markers */
  unsigned split_min;           /* 0: LISTER_SPLIT_MIN_KEYS (tests: less) */
  uint64_t max_ms;              /* 0: LISTER_MAX_MS (with ops.now_ms) */
  /* Optional: keys, strictly increasing, that cut the key space into
   * nseed + 1 ranges from the start, one chain each (a listing that knows
   * the bucket from an earlier one need not find its ranges again); at
   * most max_chains - 1 are used, others (or seeds out of order) are
   * ignored.  Copied. */
  const char *const *seed;
  size_t nseed;
};

int lister_new(const struct lister_opts *o, const struct lister_ops *ops,
               void *arg, struct lister **out);
/* Requests must all be back (lister_busy() == 0) before this. */
void lister_free(struct lister *l);

/* Send what may be sent now: call at the start and whenever may_fetch()
 * may have turned true.  Returns 0, or the error of a fetch that could not
 * be sent (the listing has then failed). */
int lister_kick(struct lister *l);

/* The answer to a fetch: p is the page, or NULL when the request failed
 * (the listing has then failed; answers still out are ignored).  throttled:
 * the request needed retries for SlowDown/503: the number of chains allowed
 * is halved.  Returns 0, or JAN_EPARSE when the page did not move its
 * chain forward (a paging marker that repeats or goes back, a cycle of
 * version-id markers, too many empty pages), JAN_ETIMEDOUT past max_ms,
 * or what entries() or a fetch returned; the listing has then failed
 * (lister_why() says why). */
int lister_page_done(struct lister *l, struct lister_chain *ch,
                     const struct wire_object_page *p, int throttled);

/* Why the listing failed, for a person ("a version-id marker came back:
 * ..."), when the lister itself refused it; NULL otherwise (a failed
 * request, or an error of entries() or fetch). */
const char *lister_why(const struct lister *l);
/* CLOCK_MONOTONIC in milliseconds, for ops.now_ms. */
uint64_t lister_mono_ms(void *arg);
/* LISTER_MAX_MS, or REMOTION_JANITOR_LIST_MAX_MS when set (tests). */
uint64_t lister_max_ms(void);

/* Requests out. */
unsigned lister_busy(const struct lister *l);
/* 1 when every range has been listed to its end. */
int lister_complete(const struct lister *l);
/* 1 after a failure (failed request, bad marker, fetch error). */
int lister_failed(const struct lister *l);

struct lister_stats {
  unsigned chains;              /* made in all */
  unsigned max_active;          /* most at once */
  unsigned pages;
  unsigned long long entries;
};
void lister_stats(const struct lister *l, struct lister_stats *s);

/* Exposed for the tests: up to want split points s, strictly increasing,
 * with last < s and (hi == NULL or s < hi), where last is the key of the
 * last of the n >= 1 entries of a full page v.  Returns how many were
 * written to out (each malloc'ed). */
size_t lister_split_points(const struct wire_object *v, size_t n,
                           const char *hi, size_t want, char **out);

#endif
