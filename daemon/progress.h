/*
 * Progress of a deleting sweep for a person: on a terminal one live line,
 * replaced in place and cleared at the end; elsewhere (the journal) one log
 * line every PROGRESS_LINE_MS while a bucket is being emptied.
 */
#ifndef JANITOR_DAEMON_PROGRESS_H
#define JANITOR_DAEMON_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum progress_mode {
  PROGRESS_LINES = 0,           /* a log line while a bucket empties */
  PROGRESS_TTY,                 /* one live line on a terminal */
  PROGRESS_OFF                  /* -q */
};

#define PROGRESS_TTY_MS   500u    /* live line refresh */
#define PROGRESS_LINE_MS  10000u  /* log line period */

struct progress_view {
  size_t done, total;           /* deletions ended / started */
  uint64_t objects;             /* objects deleted from buckets so far */
  const char *bucket;           /* a bucket being emptied, or NULL */
};

struct progress {
  enum progress_mode mode;
  FILE *tty;                    /* PROGRESS_TTY: where the line goes */
  uint64_t last_ms, last_objects;
  double rate;                  /* objects a second, smoothed */
  int shown;                    /* a live line is on the screen */
};

/* The period to call progress_tick() at; 0: never.  The environment
 * variable REMOTION_JANITOR_PROGRESS_MS overrides it (for tests). */
uint64_t progress_period_ms(const struct progress *p);
void progress_tick(struct progress *p, const struct progress_view *v,
                   uint64_t now_ms);
/* Clears the live line, if one is shown. */
void progress_end(struct progress *p);
/* The fewest columns of a bucket's name worth showing. */
#define PROGRESS_NAME_MIN 8
/* The text of one update in width columns (0: no limit): the counts are
 * never cut; the bucket's name is shortened in the middle to fit, and
 * left out when fewer than PROGRESS_NAME_MIN columns of it would. */
void progress_format(const struct progress_view *v, double rate,
                     size_t width, char *out, size_t outlen);

#endif
