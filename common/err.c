#include <stdio.h>
#include <stdlib.h>

#include "janitor/err.h"

const char *jan_strerror(int err)
{
  switch(err) {
  case JAN_OK: return "success";
  case JAN_ENOMEM: return "out of memory";
  case JAN_EINVAL: return "invalid argument";
  case JAN_ETOOBIG: return "input too large";
  case JAN_EIO: return "input/output error";
  case JAN_ENOENT: return "not found";
  case JAN_EPARSE: return "malformed input";
  case JAN_ECREDS: return "no usable credentials";
  case JAN_EHTTP: return "transport error";
  case JAN_EAWS: return "service error";
  case JAN_ESCOPE: return "name outside the scope";
  case JAN_ETIMEDOUT: return "timed out";
  case JAN_ECANCELED: return "canceled";
  case JAN_EDENIED: return "access denied";
  case JAN_EBUSY: return "busy";
  case JAN_ECONFIG: return "configuration error";
  case JAN_EGUARD: return "refused by a guard";
  default: return "unknown error";
  }
}

void jan_assert_fail(const char *expr, const char *file, int line)
{
  fprintf(stderr, "remotion-janitor: invariant failed: %s (%s:%d)\n",
          expr, file, line);
  abort();
}
