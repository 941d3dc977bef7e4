/*
 * Levelled, subsystem-tagged logging to stderr.  When JOURNAL_STREAM is set
 * (stderr is connected to journald) each line starts with its "<N>" syslog
 * priority; otherwise lines carry a time stamp and the level name.  The
 * level is checked before any formatting happens.
 *
 * Secrets (secret keys, session tokens, Authorization headers) must never be
 * passed to these functions.
 */
#ifndef JANITOR_LOG_H
#define JANITOR_LOG_H

#include <stdarg.h>

#include "janitor/err.h"

enum jlog_level {
  JLOG_ERR = 3,
  JLOG_WARNING = 4,
  JLOG_NOTICE = 5,
  JLOG_INFO = 6,
  JLOG_DEBUG = 7
};

/* A message longer than this is cut.  Control bytes, bidirectional
 * controls and invalid UTF-8 in a message are written as \xHH (the display
 * rule of untrusted.h), a newline too: one message is one line. */
#define JLOG_MESSAGE_MAX 2048

extern int jlog_max_level;

/* Read JOURNAL_STREAM and set the threshold (default JLOG_INFO). */
void jlog_init(int max_level);
void jlog_printf(int level, const char *tag, const char *fmt, ...)
    JAN_PRINTF(3, 4);
void jlog_vprintf(int level, const char *tag, const char *fmt, va_list ap)
    JAN_PRINTF(3, 0);

#define jlog(level, tag, ...)                                       \
  do {                                                              \
    if((int)(level) <= jlog_max_level)                              \
      jlog_printf((level), (tag), __VA_ARGS__);                     \
  } while(0)

#define jlog_err(tag, ...)    jlog(JLOG_ERR, tag, __VA_ARGS__)
#define jlog_warn(tag, ...)   jlog(JLOG_WARNING, tag, __VA_ARGS__)
#define jlog_notice(tag, ...) jlog(JLOG_NOTICE, tag, __VA_ARGS__)
#define jlog_info(tag, ...)   jlog(JLOG_INFO, tag, __VA_ARGS__)
#define jlog_debug(tag, ...)  jlog(JLOG_DEBUG, tag, __VA_ARGS__)

#endif
