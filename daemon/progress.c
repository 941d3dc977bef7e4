#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "janitor/log.h"
#include "output.h"
#include "progress.h"

uint64_t progress_period_ms(const struct progress *p)
{
  const char *env = getenv("REMOTION_JANITOR_PROGRESS_MS");
  char *end;
  unsigned long long v;

  if(p->mode == PROGRESS_OFF)
    return 0;
  if(env && *env) {
    v = strtoull(env, &end, 10);
    if(!*end && v >= 10 && v <= 3600000)
      return v;
  }
  return p->mode == PROGRESS_TTY ? PROGRESS_TTY_MS : PROGRESS_LINE_MS;
}

void progress_format(const struct progress_view *v, double rate,
                     size_t width, char *out, size_t outlen)
{
  static const char emptying[] = ", emptying ";
  char name[300];
  size_t n, room;

  /* The counts whole, always; the bucket's name gives way (cut in the
   * middle), and goes when not even a few columns of it fit. */
  snprintf(out, outlen, "%zu of %zu deletions done, %" PRIu64 " objects "
           "deleted (%.0f/s)", v->done, v->total, v->objects, rate);
  n = strlen(out);
  if(!v->bucket)
    return;
  room = !width ? 0 : width > n + sizeof(emptying) - 1
       ? width - n - (sizeof(emptying) - 1) : 0;
  if(width && room < PROGRESS_NAME_MIN)
    return;
  output_fit(v->bucket, room, name, sizeof(name));
  snprintf(out + n, outlen - n, "%s%s", emptying, name);
}

static size_t tty_columns(FILE *f)
{
  struct winsize ws;
  if(ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
    return ws.ws_col - 1u;      /* the last column would wrap on some */
  return 79;
}

void progress_tick(struct progress *p, const struct progress_view *v,
                   uint64_t now_ms)
{
  char line[600];

  if(p->last_ms && now_ms > p->last_ms) {
    double r = (double)(v->objects - p->last_objects) * 1000.0 /
               (double)(now_ms - p->last_ms);
    p->rate = p->rate > 0 ? 0.5 * p->rate + 0.5 * r : r;
  }
  p->last_ms = now_ms;
  p->last_objects = v->objects;
  switch(p->mode) {
  case PROGRESS_TTY:
    progress_format(v, p->rate, tty_columns(p->tty), line, sizeof(line));
    fprintf(p->tty, "\r\033[K%s", line);
    fflush(p->tty);
    p->shown = 1;
    break;
  case PROGRESS_LINES:
    if(!v->bucket)
      break;                    /* functions and layers end in seconds */
    progress_format(v, p->rate, 0, line, sizeof(line));
    jlog_notice("progress", "%s", line);
    break;
  default:
    break;
  }
}

void progress_end(struct progress *p)
{
  if(p->shown) {
    fputs("\r\033[K", p->tty);
    fflush(p->tty);
    p->shown = 0;
  }
}
