/*
 * A resource's tag list (wire.h): what Lambda's ListTags and S3's
 * GetBucketTagging parsers fill, with AWS's limits on its sizes.
 */
#include <stdlib.h>
#include <string.h>

#include "janitor/err.h"
#include "janitor/wire.h"
#include "wire_int.h"

void wire_tag_list_free(struct wire_tag_list *t)
{
  if(!t)
    return;
  for(size_t i = 0; i < t->n; i++) {
    free(t->v[i].key);
    free(t->v[i].value);
  }
  free(t->v);
  memset(t, 0, sizeof(*t));
}

const char *wire_tag_find(const struct wire_tag_list *t, const char *key)
{
  if(!t || !key)
    return NULL;
  for(size_t i = 0; i < t->n; i++)
    if(!strcmp(t->v[i].key, key))
      return t->v[i].value;
  return NULL;
}

int wire_tag_add(struct wire_tag_list *t, const char *key, size_t klen,
                 const char *value, size_t vlen)
{
  struct wire_tag *v;
  char *k = NULL, *val = NULL;

  if(!key || !value || klen < 1 || klen > WIRE_TAG_KEY_MAX ||
     vlen > WIRE_TAG_VALUE_MAX || memchr(key, '\0', klen) ||
     memchr(value, '\0', vlen) || t->n >= WIRE_TAGS_MAX)
    return JAN_EPARSE;
  for(size_t i = 0; i < t->n; i++)
    if(strlen(t->v[i].key) == klen && !memcmp(t->v[i].key, key, klen))
      return JAN_EPARSE;
  v = realloc(t->v, (t->n + 1) * sizeof(*v));
  if(!v)
    return JAN_ENOMEM;
  t->v = v;
  k = strndup(key, klen);
  val = strndup(value, vlen);
  if(!k || !val) {
    free(k);
    free(val);
    return JAN_ENOMEM;
  }
  t->v[t->n].key = k;
  t->v[t->n].value = val;
  t->n++;
  return JAN_OK;
}
