/*
 * Lambda's rest-json answers (ListFunctions, ListLayers, ListLayerVersions,
 * GetLayerVersion, ListTags), CloudWatch Logs' JSON 1.1 answers
 * (DescribeLogGroups) and the errors of both, read with json-c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "janitor/err.h"
#include "janitor/wire.h"
#include "wire_int.h"

/* AWS answers nest 4 levels at most; anything much deeper is hostile. */
#define WIRE_JSON_DEPTH 16

/*
 * Parse a whole body as one JSON object: strict syntax, valid UTF-8, no
 * NUL byte, only white space after the object.
 */
static int json_root(const char *body, size_t len, json_object **out)
{
  json_tokener *tok;
  json_object *o;
  enum json_tokener_error jerr;
  size_t end;
  int rc = JAN_OK;

  *out = NULL;
  if(!body)
    return JAN_EPARSE;
  if(len > INT_MAX)
    return JAN_ETOOBIG;
  if(memchr(body, '\0', len))
    return JAN_EPARSE;
  tok = json_tokener_new_ex(WIRE_JSON_DEPTH);
  if(!tok)
    return JAN_ENOMEM;
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  o = json_tokener_parse_ex(tok, body, (int)len);
  jerr = json_tokener_get_error(tok);
  end = json_tokener_get_parse_end(tok);
  json_tokener_free(tok);
  if(!o || jerr != json_tokener_success) {
    rc = JAN_EPARSE;
    goto fail;
  }
  for(size_t i = end; i < len; i++) {
    char ch = body[i];
    if(ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
      rc = JAN_EPARSE;
      goto fail;
    }
  }
  if(!json_object_is_type(o, json_type_object)) {
    rc = JAN_EPARSE;
    goto fail;
  }
  *out = o;
  return JAN_OK;

fail:
  json_object_put(o);
  return rc;
}

/* A member that is absent or null gives NULL. */
static json_object *jget(json_object *o, const char *key)
{
  json_object *v = NULL;

  if(!json_object_object_get_ex(o, key, &v))
    return NULL;
  return v;
}

/* A string member: absent, null or "" → NULL (JAN_EPARSE when required);
 * another type, or a string with a NUL → JAN_EPARSE. */
static int jstr(json_object *o, const char *key, int required, char **out)
{
  json_object *v = jget(o, key);
  int n;

  *out = NULL;
  if(!v)
    return required ? JAN_EPARSE : JAN_OK;
  if(!json_object_is_type(v, json_type_string))
    return JAN_EPARSE;
  n = json_object_get_string_len(v);
  if(n <= 0)
    return required ? JAN_EPARSE : JAN_OK;
  return wire_set_str(out, json_object_get_string(v), (size_t)n);
}

/* An integer member in 0..INT64_MAX-1 (INT64_MAX is json-c's clamp for
 * what does not fit); absent or null → dflt. */
static int jint(json_object *o, const char *key, int64_t dflt, int64_t *out)
{
  json_object *v = jget(o, key);
  int64_t n;

  *out = dflt;
  if(!v)
    return JAN_OK;
  if(!json_object_is_type(v, json_type_int))
    return JAN_EPARSE;
  n = json_object_get_int64(v);
  if(n < 0 || n == INT64_MAX)
    return JAN_EPARSE;
  *out = n;
  return JAN_OK;
}

/* A time member: absent or null → WIRE_TIME_UNKNOWN. */
static int jtime(json_object *o, const char *key, int64_t *out)
{
  json_object *v = jget(o, key);

  *out = WIRE_TIME_UNKNOWN;
  if(!v)
    return JAN_OK;
  if(!json_object_is_type(v, json_type_string) ||
     strlen(json_object_get_string(v)) !=
         (size_t)json_object_get_string_len(v))
    return JAN_EPARSE;
  return wire_time_parse(json_object_get_string(v), out);
}

/* The list member of a page (required, an array) and its marker member
 * (NextMarker, nextToken). */
static int jpage(json_object *root, const char *member, const char *marker,
                 json_object **arr, size_t *n, char **next_marker)
{
  json_object *a = jget(root, member);

  if(!a || !json_object_is_type(a, json_type_array))
    return JAN_EPARSE;
  *arr = a;
  *n = json_object_array_length(a);
  return jstr(root, marker, 0, next_marker);
}

/*
 * One Lambda list page: the member array, each item parsed by parse into
 * an array of item_size items (*v, caller frees), and NextMarker.  On
 * failure *v and *n hold the items parsed so far, for the page's free.
 */
typedef int (*item_fn)(json_object *o, void *item);

static int parse_page(const char *body, size_t len, const char *member,
                      const char *marker_member, size_t item_size,
                      item_fn parse, void **v, size_t *n, char **marker)
{
  json_object *root, *arr;
  size_t count;
  int rc;

  rc = json_root(body, len, &root);
  if(rc)
    return rc;
  rc = jpage(root, member, marker_member, &arr, &count, marker);
  if(!rc && count) {
    *v = calloc(count, item_size);
    if(!*v)
      rc = JAN_ENOMEM;
  }
  for(size_t i = 0; i < count && !rc; i++) {
    rc = parse(json_object_array_get_idx(arr, i), (char *)*v + i * item_size);
    if(!rc)
      (*n)++;
  }
  json_object_put(root);
  return rc;
}

int wire_json_page(const char *body, size_t len, const char *member,
                   const char *marker_member, size_t item_size,
                   wire_json_item_fn item, void **v, size_t *n,
                   char **marker)
{
  return parse_page(body, len, member, marker_member, item_size, item, v, n,
                    marker);
}

int wire_json_str(json_object *o, const char *key, int required, char **out)
{
  return jstr(o, key, required, out);
}

int wire_json_root(const char *body, size_t len, json_object **out)
{
  return json_root(body, len, out);
}

/* ---- ListFunctions ---- */

static void function_clear(struct wire_function *f)
{
  free(f->name);
  free(f->arn);
  free(f->runtime);
}

void wire_function_page_free(struct wire_function_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++)
    function_clear(&p->v[i]);
  free(p->v);
  free(p->next_marker);
  memset(p, 0, sizeof(*p));
}

static int parse_function(json_object *o, struct wire_function *f)
{
  int rc;

  memset(f, 0, sizeof(*f));
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  if((rc = jstr(o, "FunctionName", 1, &f->name)) ||
     (rc = jstr(o, "FunctionArn", 0, &f->arn)) ||
     (rc = jstr(o, "Runtime", 0, &f->runtime)) ||
     (rc = jtime(o, "LastModified", &f->last_modified)) ||
     (rc = jint(o, "MemorySize", 0, &f->memory_mb)) ||
     (rc = jint(o, "Timeout", 0, &f->timeout_s)) ||
     (rc = jint(o, "CodeSize", 0, &f->code_size)))
    function_clear(f);
  else if(f->code_size > WIRE_CODE_SIZE_MAX) {
    function_clear(f);
    rc = JAN_EPARSE;
  }
  return rc;
}

static int function_item(json_object *o, void *item)
{
  return parse_function(o, item);
}

int wire_lambda_parse_list_functions(const char *body, size_t len,
                                     struct wire_function_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = parse_page(body, len, "Functions", "NextMarker",
                  sizeof(*out->v), function_item, &v,
                  &out->n, &out->next_marker);
  out->v = v;
  if(rc)
    wire_function_page_free(out);
  return rc;
}

/* ---- ListLayers ---- */

void wire_layer_page_free(struct wire_layer_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++) {
    free(p->v[i].name);
    free(p->v[i].arn);
  }
  free(p->v);
  free(p->next_marker);
  memset(p, 0, sizeof(*p));
}

static int parse_layer(json_object *o, struct wire_layer *l)
{
  json_object *latest;
  int rc;

  memset(l, 0, sizeof(*l));
  l->latest_created = WIRE_TIME_UNKNOWN;
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  rc = jstr(o, "LayerName", 1, &l->name);
  if(!rc)
    rc = jstr(o, "LayerArn", 0, &l->arn);
  latest = jget(o, "LatestMatchingVersion");
  if(!rc && latest) {
    if(!json_object_is_type(latest, json_type_object))
      rc = JAN_EPARSE;
    if(!rc)
      rc = jint(latest, "Version", 0, &l->latest_version);
    if(!rc)
      rc = jtime(latest, "CreatedDate", &l->latest_created);
  }
  if(rc) {
    free(l->name);
    free(l->arn);
  }
  return rc;
}

static int layer_item(json_object *o, void *item)
{
  return parse_layer(o, item);
}

int wire_lambda_parse_list_layers(const char *body, size_t len,
                                  struct wire_layer_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = parse_page(body, len, "Layers", "NextMarker",
                  sizeof(*out->v), layer_item, &v,
                  &out->n, &out->next_marker);
  out->v = v;
  if(rc)
    wire_layer_page_free(out);
  return rc;
}

/* ---- ListLayerVersions and GetLayerVersion ---- */

void wire_layer_version_free(struct wire_layer_version *lv)
{
  if(!lv)
    return;
  free(lv->arn);
  memset(lv, 0, sizeof(*lv));
}

void wire_layer_version_page_free(struct wire_layer_version_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++)
    free(p->v[i].arn);
  free(p->v);
  free(p->next_marker);
  memset(p, 0, sizeof(*p));
}

static int parse_layer_version(json_object *o, struct wire_layer_version *lv)
{
  int rc;

  memset(lv, 0, sizeof(*lv));
  lv->created = WIRE_TIME_UNKNOWN;
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  rc = jint(o, "Version", 0, &lv->version);
  if(!rc && lv->version < 1)
    rc = JAN_EPARSE;
  if(!rc)
    rc = jstr(o, "LayerVersionArn", 0, &lv->arn);
  if(!rc)
    rc = jtime(o, "CreatedDate", &lv->created);
  if(rc)
    wire_layer_version_free(lv);
  return rc;
}

static int layer_version_item(json_object *o, void *item)
{
  return parse_layer_version(o, item);
}

int wire_lambda_parse_list_layer_versions(const char *body, size_t len,
                                          struct wire_layer_version_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = parse_page(body, len, "LayerVersions", "NextMarker",
                  sizeof(*out->v), layer_version_item, &v,
                  &out->n, &out->next_marker);
  out->v = v;
  if(rc)
    wire_layer_version_page_free(out);
  return rc;
}

int wire_lambda_parse_get_layer_version(const char *body, size_t len,
                                        struct wire_layer_version *out)
{
  json_object *root;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = json_root(body, len, &root);
  if(rc)
    return rc;
  rc = parse_layer_version(root, out);
  json_object_put(root);
  return rc;
}

/* ---- rest-json errors ---- */

/* "ns#Code:uri" → "Code": cut at the first ':', keep after the last '#'. */
static void set_code(struct wire_error *e, const char *s, size_t len)
{
  const char *colon = memchr(s, ':', len);
  const char *hash;

  if(colon)
    len = (size_t)(colon - s);
  while(len && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  while(len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  for(hash = s + len; hash > s && hash[-1] != '#'; hash--)
    ;
  len -= (size_t)(hash - s);
  wire_copy_str(e->code, sizeof(e->code), hash, len);
}

/* ---- ListTags ---- */

int wire_lambda_parse_list_tags(const char *body, size_t len,
                                struct wire_tag_list *out)
{
  json_object *root, *tags;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = json_root(body, len, &root);
  if(rc)
    return rc;
  tags = jget(root, "Tags");
  if(!tags || !json_object_is_type(tags, json_type_object))
    rc = JAN_EPARSE;
  if(!rc) {
    json_object_object_foreach(tags, key, val) {
      if(!val || !json_object_is_type(val, json_type_string)) {
        rc = JAN_EPARSE;
        break;
      }
      rc = wire_tag_add(out, key, strlen(key), json_object_get_string(val),
                        (size_t)json_object_get_string_len(val));
      if(rc)
        break;
    }
  }
  json_object_put(root);
  if(rc)
    wire_tag_list_free(out);
  return rc;
}

/* ---- CloudWatch Logs: DescribeLogGroups ---- */

void wire_log_group_page_free(struct wire_log_group_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++) {
    free(p->v[i].name);
    free(p->v[i].arn);
  }
  free(p->v);
  free(p->next_token);
  memset(p, 0, sizeof(*p));
}

/* An integer member in 0..WIRE_SIZE_MAX; absent or null: dflt. */
static int jsize(json_object *o, const char *key, int64_t dflt, int64_t *out)
{
  int rc = jint(o, key, dflt, out);
  if(!rc && *out != dflt && *out > WIRE_SIZE_MAX)
    rc = JAN_EPARSE;
  return rc;
}

static int log_group_item(json_object *o, void *item)
{
  struct wire_log_group *g = item;
  int64_t ms;
  int rc;

  memset(g, 0, sizeof(*g));
  if(!json_object_is_type(o, json_type_object))
    return JAN_EPARSE;
  if((rc = jstr(o, "logGroupName", 1, &g->name)) ||
     (rc = jstr(o, "arn", 0, &g->arn)) ||
     (rc = jsize(o, "creationTime", -1, &ms)) ||
     (rc = jsize(o, "storedBytes", WIRE_SIZE_UNKNOWN, &g->stored_bytes))) {
    free(g->name);
    free(g->arn);
    memset(g, 0, sizeof(*g));
    return rc;
  }
  g->created = ms < 0 ? WIRE_TIME_UNKNOWN : ms / 1000;
  return JAN_OK;
}

int wire_logs_parse_describe_log_groups(const char *body, size_t len,
                                        struct wire_log_group_page *out)
{
  void *v = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = parse_page(body, len, "logGroups", "nextToken", sizeof(*out->v),
                  log_group_item, &v, &out->n, &out->next_token);
  out->v = v;
  if(rc)
    wire_log_group_page_free(out);
  return rc;
}

/* A string member for an error field; another type is ignored. */
static const char *jerrstr(json_object *o, const char *key, size_t *len)
{
  json_object *v = jget(o, key);
  int n;

  if(!v || !json_object_is_type(v, json_type_string))
    return NULL;
  n = json_object_get_string_len(v);
  if(n <= 0)
    return NULL;
  *len = (size_t)n;
  return json_object_get_string(v);
}

int wire_parse_error_json(const char *errtype_header, const char *body,
                          size_t len, struct wire_error *e)
{
  json_object *root = NULL;
  const char *s;
  size_t n = 0;
  int rc;

  memset(e, 0, sizeof(*e));
  if(errtype_header)
    set_code(e, errtype_header, strlen(errtype_header));
  rc = json_root(body, len, &root);
  if(rc) {
    /* With the header, the body is only a bonus. */
    return e->code[0] ? JAN_OK : (rc == JAN_ENOMEM ? rc : JAN_EPARSE);
  }
  if(!e->code[0]) {
    if((s = jerrstr(root, "__type", &n)) || (s = jerrstr(root, "code", &n)) ||
       (s = jerrstr(root, "Code", &n)))
      set_code(e, s, n);
  }
  if((s = jerrstr(root, "message", &n)) || (s = jerrstr(root, "Message", &n)))
    wire_copy_str(e->message, sizeof(e->message), s, n);
  json_object_put(root);
  if(!e->code[0]) {
    memset(e, 0, sizeof(*e));
    return JAN_EPARSE;
  }
  return JAN_OK;
}
