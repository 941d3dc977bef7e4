/*
 * AWS's naming rules (see names.h) and the one path-segment encoder.
 *
 * Bucket rules: "General purpose bucket naming rules" in the S3 User
 * Guide.  Lambda: the FunctionName and LayerName patterns of the Lambda
 * API reference ([a-zA-Z0-9-_]+, 64 and 140 characters at most).
 */
#include <string.h>

#include "janitor/err.h"
#include "janitor/log.h"
#include "janitor/names.h"
#include "janitor/sigv4.h"
#include "janitor/untrusted.h"

static const char *const bucket_reserved_prefixes[] = {
  "xn--", "sthree-", "amzn-s3-demo-", NULL
};
static const char *const bucket_reserved_suffixes[] = {
  "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", NULL
};

static bool is_lower_alnum(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

/* Four dot-separated runs of digits, like 192.168.5.4. */
static bool ipv4_shaped(const char *s)
{
  int labels = 0;

  for(;;) {
    const char *start = s;
    while(is_digit((unsigned char)*s))
      s++;
    if(s == start)
      return false;
    labels++;
    if(*s == '\0')
      return labels == 4;
    if(*s != '.')
      return false;
    s++;
  }
}

static bool has_prefix(const char *s, const char *const *list)
{
  for(; *list; list++)
    if(!strncmp(s, *list, strlen(*list)))
      return true;
  return false;
}

static bool has_suffix(const char *s, size_t len, const char *const *list)
{
  for(; *list; list++) {
    size_t n = strlen(*list);
    if(len >= n && !memcmp(s + len - n, *list, n))
      return true;
  }
  return false;
}

bool names_bucket_valid(const char *name)
{
  size_t len;

  if(!name)
    return false;
  len = strnlen(name, NAMES_BUCKET_MAX + 1);
  if(len < NAMES_BUCKET_MIN || len > NAMES_BUCKET_MAX)
    return false;
  if(!is_lower_alnum((unsigned char)name[0]) ||
     !is_lower_alnum((unsigned char)name[len - 1]))
    return false;
  for(size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if(!is_lower_alnum(c) && c != '-' && c != '.')
      return false;
    if(c == '.' && name[i + 1] == '.')
      return false;
  }
  return !ipv4_shaped(name) &&
         !has_prefix(name, bucket_reserved_prefixes) &&
         !has_suffix(name, len, bucket_reserved_suffixes);
}

/* 1..max bytes of [A-Za-z0-9] or one of extra. */
static bool charset_name_valid(const char *name, size_t max,
                               const char *extra)
{
  size_t len;

  if(!name)
    return false;
  len = strnlen(name, max + 1);
  if(len < 1 || len > max)
    return false;
  for(size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if(!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') &&
       !(c && strchr(extra, c)))
      return false;
  }
  return true;
}

/* Lambda's function and layer names: [A-Za-z0-9_-]. */
static bool lambda_name_valid(const char *name, size_t max)
{
  return charset_name_valid(name, max, "_-");
}

bool names_log_group_valid(const char *name)
{
  return charset_name_valid(name, NAMES_LOG_GROUP_MAX, ".-_/#");
}

bool names_function_valid(const char *name)
{
  return lambda_name_valid(name, NAMES_FUNCTION_MAX);
}

bool names_layer_valid(const char *name)
{
  return lambda_name_valid(name, NAMES_LAYER_MAX);
}

bool names_layer_version_valid(int64_t version)
{
  return version >= 1 && version < INT64_MAX;
}

bool names_valid(enum jan_kind kind, const char *name)
{
  switch(kind) {
  case JAN_KIND_BUCKET:
    return names_bucket_valid(name);
  case JAN_KIND_FUNCTION:
    return names_function_valid(name);
  case JAN_KIND_LAYER:
    return names_layer_valid(name);
  case JAN_KIND_LOG_GROUP: {
    enum jan_kind k = JAN_KIND_FUNCTION;
    const char *owner = scope_log_group_owner(name, &k);
    return owner && names_log_group_valid(name) && names_valid(k, owner);
  }
  case JAN_KIND_RENDER:         /* inside a bucket: the bucket is checked */
  case JAN_KIND_PROPS:
  case JAN_KIND_N:
    return false;
  }
  return false;
}

static bool dot_segment(const char *s, size_t n)
{
  return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int names_encode_segment(const char *s, struct jbuf *out)
{
  if(!s || !*s || dot_segment(s, strlen(s)))
    return JAN_EINVAL;
  return sigv4_uri_encode(s, strlen(s), 0, out);
}

int names_encode_key(const char *key, struct jbuf *out)
{
  if(!key || !*key)
    return JAN_EINVAL;
  for(const char *seg = key;;) {
    size_t n = strcspn(seg, "/");
    if(dot_segment(seg, n))
      return JAN_EINVAL;
    if(!seg[n])
      break;
    seg += n + 1;
  }
  return sigv4_uri_encode(key, strlen(key), 1, out);
}

void names_escape(const char *s, size_t len, char *out, size_t outlen)
{
  size_t n = len < NAMES_ESCAPE_MAX ? len : NAMES_ESCAPE_MAX;
  size_t o;

  if(!outlen)
    return;
  o = untrusted_display_quoted(out, outlen, s, s ? n : 0);
  if(s && len > n && o + 3 < outlen)
    memcpy(out + o, "...", 4);
}

int names_guard(const char *op, enum jan_kind kind, const char *name)
{
  char esc[NAMES_ESCAPE_BUF];

  if(!scope_contains(kind, name)) {
    jlog_err("scope", "REFUSED to build %s for a %s outside the scope "
             "(name withheld); this is a bug, please report it", op,
             scope_kind_name(kind));
    return JAN_ESCOPE;
  }
  if(!names_valid(kind, name)) {
    names_escape(name, strlen(name), esc, sizeof(esc));
    jlog_err("names", "REFUSED to build %s for an invalid %s name \"%s\"; "
             "this is a bug, please report it", op, scope_kind_name(kind),
             esc);
    return JAN_EINVAL;
  }
  return JAN_OK;
}

int names_log_group_guard(const char *op, const char *group)
{
  /* The kind's own guard: in scope, valid, its function's name valid. */
  return names_guard(op, JAN_KIND_LOG_GROUP, group);
}
