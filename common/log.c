#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "janitor/log.h"
#include "janitor/untrusted.h"

int jlog_max_level = JLOG_INFO;
static int journal;

/*
 * JOURNAL_STREAM is "DEV:INODE" of the stream journald gave us; it only
 * counts when stderr is still that stream (a child may inherit the variable
 * with its stderr redirected elsewhere).
 */
static int stderr_is_journal(void)
{
  const char *js = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;

  if(!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
    return 0;
  if(fstat(STDERR_FILENO, &st) != 0)
    return 0;
  return (unsigned long long)st.st_dev == dev &&
         (unsigned long long)st.st_ino == ino;
}

void jlog_init(int max_level)
{
  jlog_max_level = max_level;
  journal = stderr_is_journal();
}

static const char *level_name(int level)
{
  switch(level) {
  case JLOG_ERR: return "error";
  case JLOG_WARNING: return "warning";
  case JLOG_NOTICE: return "notice";
  case JLOG_INFO: return "info";
  default: return "debug";
  }
}

void jlog_vprintf(int level, const char *tag, const char *fmt, va_list ap)
{
  /* The message, then the line: room for every byte escaped. */
  char msg[JLOG_MESSAGE_MAX], line[JLOG_MESSAGE_MAX * 4 + 128];
  size_t n = 0;
  int r;

  if(level > jlog_max_level)
    return;
  if(journal) {
    r = snprintf(line, sizeof(line), "<%d>%s: ", level, tag);
  }
  else {
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: ", stamp,
                 ts.tv_nsec / 1000000, level_name(level), tag);
  }
  if(r > 0)
    n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
  r = vsnprintf(msg, sizeof(msg), fmt, ap);
  /* One line per message, safe on a terminal: a newline inside would forge
   * a new entry, an escape sequence would reach the reader's terminal
   * (untrusted.h, the display rule; backslashes are kept, they begin the
   * escapes of values already made). */
  if(r > 0)
    n += untrusted_display_line(line + n, sizeof(line) - n - 1, msg,
                                (size_t)r < sizeof(msg) ? (size_t)r
                                                        : sizeof(msg) - 1);
  line[n++] = '\n';
  fwrite(line, 1, n, stderr);
}

void jlog_printf(int level, const char *tag, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  jlog_vprintf(level, tag, fmt, ap);
  va_end(ap);
}
