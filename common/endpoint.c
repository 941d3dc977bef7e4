/*
 * What an endpoint URL may be (endpoint.h).
 */
#include <string.h>

#include "janitor/endpoint.h"

struct refusal {
  char c;                       /* 0: the scheme or host is missing */
  bool authority_only;          /* only before the path's first '/' */
  bool quote;                   /* the message may quote the value */
  const char *why;
};
static const struct refusal refusals[] = {
  { 0, false, true, "is not an http:// or https:// URL" },
  { '@', true, false, "holds user info (user@ or user:password@); put no "
    "credentials in an endpoint URL" },
  { '?', false, true, "holds a query ('?'); give only scheme, host, port "
    "and path" },
  { '#', false, true, "holds a fragment ('#'); give only scheme, host, "
    "port and path" },
};

/* s starts with prefix, ASCII case ignored. */
static bool ascii_prefix(const char *s, const char *prefix)
{
  for(; *prefix; s++, prefix++) {
    char a = *s, b = *prefix;
    if(a >= 'A' && a <= 'Z')
      a = (char)(a - 'A' + 'a');
    if(a != b)
      return false;
  }
  return true;
}

const char *endpoint_url_refusal(const char *v, bool *may_quote)
{
  size_t n = ascii_prefix(v, "http://") ? 7 : ascii_prefix(v, "https://")
             ? 8 : 0, auth;
  const struct refusal *r = NULL;

  if(!n || !v[n] || v[n] == '/')
    r = &refusals[0];
  else {
    auth = n + strcspn(v + n, "/?#");
    for(size_t i = 1; !r && i < sizeof(refusals) / sizeof(refusals[0]); i++) {
      const char *at = strchr(v + n, refusals[i].c);
      if(at && (!refusals[i].authority_only || (size_t)(at - v) < auth))
        r = &refusals[i];
    }
  }
  if(may_quote)
    *may_quote = r ? r->quote : true;
  return r ? r->why : NULL;
}
