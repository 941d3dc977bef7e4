/*
 * sd_notify(3): libsystemd when we have it, else our own datagram sender.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

#ifdef HAVE_LIBSYSTEMD

int notify_send(const char *msg)
{
  int r = sd_notify(0, msg);
  return r < 0 ? r : 0;
}

int notify_watchdog_usec(uint64_t *usec)
{
  return sd_watchdog_enabled(0, usec) > 0;
}

#else

/*
 * The fallback: what sd_notify() does, minus credentials and fd passing,
 * which we never use.  The socket is a path or, with a leading '@', a name
 * in the abstract namespace.
 */
int notify_send(const char *msg)
{
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sa;
  socklen_t salen;
  size_t plen;
  ssize_t n;
  int fd, r = 0;

  if(!path || !*path)
    return 0;
  plen = strlen(path);
  if((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
    return -EINVAL;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, plen);
  if(path[0] == '@')
    sa.sun_path[0] = '\0';
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
                      (path[0] == '@' ? 0 : 1));
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if(fd < 0)
    return -errno;
  n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
             salen);
  if(n < 0)
    r = -errno;
  close(fd);
  return r;
}

int notify_watchdog_usec(uint64_t *usec)
{
  const char *u = getenv("WATCHDOG_USEC");
  const char *p = getenv("WATCHDOG_PID");
  unsigned long long v;
  char *end;

  if(!u || !*u)
    return 0;
  /* WATCHDOG_PID, when set, names the process that must ping. */
  if(p && *p) {
    long pid = strtol(p, &end, 10);
    if(*end || pid != (long)getpid())
      return 0;
  }
  errno = 0;
  v = strtoull(u, &end, 10);
  if(errno || *end || v == 0)
    return 0;
  *usec = v;
  return 1;
}

#endif

int notify_status(const char *prefix, const char *fmt, ...)
{
  char text[512], msg[640];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  /* One line: a newline would start another assignment. */
  for(char *p = text; *p; p++)
    if(*p == '\n' || *p == '\r')
      *p = ' ';
  snprintf(msg, sizeof(msg), "%s%sSTATUS=%s", prefix ? prefix : "",
           prefix ? "\n" : "", text);
  return notify_send(msg);
}
