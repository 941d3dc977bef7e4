/*
 * S3 answers (ListBuckets, GetBucketLocation, ListObjectVersions,
 * ListObjectsV2, DeleteObjects) and what goes into S3 requests (the
 * DeleteObjects body, keys in paths and queries).
 */
#include <stdlib.h>
#include <string.h>

#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/hex.h"
#include "janitor/sigv4.h"
#include "janitor/wire.h"
#include "wire_int.h"

static int set_time(int64_t *dst, int *seen, const char *text)
{
  if(*seen || !text)
    return JAN_EPARSE;
  *seen = 1;
  return wire_time_parse(text, dst);
}

/* An optional string: empty means absent; repeated means malformed. */
static int set_opt(char **dst, int *seen, const char *text, size_t len)
{
  if(*seen || !text)
    return JAN_EPARSE;
  *seen = 1;
  if(!len)
    return JAN_OK;
  return wire_set_str(dst, text, len);
}

static int set_bool(int *dst, int *seen, const char *text)
{
  if(*seen || !text)
    return JAN_EPARSE;
  *seen = 1;
  if(!strcmp(text, "true"))
    *dst = 1;
  else if(!strcmp(text, "false"))
    *dst = 0;
  else
    return JAN_EPARSE;
  return JAN_OK;
}

/* ---- ListBuckets ---- */

struct lb_ctx {
  struct wire_bucket_list *l;
  size_t cap;
  int inprog;             /* l->v[l->n] is being filled */
  int seen_date, seen_region, seen_token;
};

static int lb_cb(void *arg, enum wx_event ev, int depth,
                 const char *const *path, const char *text, size_t len)
{
  struct lb_ctx *c = arg;
  struct wire_bucket_list *l = c->l;
  struct wire_bucket *b;
  int rc;

  if(ev == WX_START) {
    if(wx_path_is(depth, path, "Buckets", "Bucket", NULL)) {
      rc = wire_grow((void **)&l->v, &c->cap, l->n, sizeof(*l->v));
      if(rc)
        return rc;
      b = &l->v[l->n];
      b->name = b->region = NULL;
      b->created = WIRE_TIME_UNKNOWN;
      c->inprog = 1;
      c->seen_date = c->seen_region = 0;
    }
    return JAN_OK;
  }
  if(depth == 3 && c->inprog) {
    b = &l->v[l->n];
    if(wx_path_is(depth, path, "Buckets", "Bucket", "Name", NULL))
      return len ? wire_set_str(&b->name, text, len) : JAN_EPARSE;
    if(wx_path_is(depth, path, "Buckets", "Bucket", "CreationDate", NULL))
      return set_time(&b->created, &c->seen_date, text);
    if(wx_path_is(depth, path, "Buckets", "Bucket", "BucketRegion", NULL))
      return set_opt(&b->region, &c->seen_region, text, len);
  }
  else if(wx_path_is(depth, path, "Buckets", "Bucket", NULL)) {
    if(!l->v[l->n].name)
      return JAN_EPARSE;
    c->inprog = 0;
    l->n++;
  }
  else if(wx_path_is(depth, path, "ContinuationToken", NULL)) {
    return set_opt(&l->continuation_token, &c->seen_token, text, len);
  }
  return JAN_OK;
}

void wire_bucket_list_free(struct wire_bucket_list *l)
{
  if(!l)
    return;
  for(size_t i = 0; i < l->n; i++) {
    free(l->v[i].name);
    free(l->v[i].region);
  }
  free(l->v);
  free(l->continuation_token);
  memset(l, 0, sizeof(*l));
}

int wire_s3_parse_list_buckets(const char *body, size_t len,
                               struct wire_bucket_list *out)
{
  struct lb_ctx c;
  int rc;

  memset(out, 0, sizeof(*out));
  memset(&c, 0, sizeof(c));
  c.l = out;
  rc = wx_walk(body, len, "ListAllMyBucketsResult", lb_cb, &c);
  if(rc) {
    if(c.inprog) {
      free(out->v[out->n].name);
      free(out->v[out->n].region);
    }
    wire_bucket_list_free(out);
  }
  return rc;
}

/* ---- GetBucketLocation ---- */

struct loc_ctx {
  char *region;
  int set;
};

static int loc_cb(void *arg, enum wx_event ev, int depth,
                  const char *const *path, const char *text, size_t len)
{
  struct loc_ctx *c = arg;

  (void)path;
  if(ev != WX_END || depth != 0)
    return JAN_OK;
  if(!text)
    return JAN_EPARSE;
  if(len == 0) {
    strcpy(c->region, "us-east-1");
  }
  else if(!strcmp(text, "EU")) {
    strcpy(c->region, "eu-west-1");
  }
  else {
    /* Server text: the caller checks it with untrusted_region(). */
    wire_copy_str(c->region, 32, text, len);
  }
  c->set = 1;
  return JAN_OK;
}

int wire_s3_parse_location(const char *body, size_t len, char region[32])
{
  struct loc_ctx c;
  int rc;

  region[0] = '\0';
  c.region = region;
  c.set = 0;
  rc = wx_walk(body, len, "LocationConstraint", loc_cb, &c);
  if(!rc && !c.set)
    rc = JAN_EPARSE;
  if(rc)
    region[0] = '\0';
  return rc;
}

/* ---- GetBucketTagging ---- */

struct tag_ctx {
  struct wire_tag_list *t;
  char *key, *value;        /* of the <Tag> being read */
  int seen_set;
};

static int tag_cb(void *arg, enum wx_event ev, int depth,
                  const char *const *path, const char *text, size_t len)
{
  struct tag_ctx *c = arg;
  int rc;

  if(depth == 1 && ev == WX_START) {
    if(!wx_path_is(depth, path, "TagSet", NULL) || c->seen_set)
      return JAN_EPARSE;
    c->seen_set = 1;
    return JAN_OK;
  }
  if(depth == 2 && ev == WX_START)
    return wx_path_is(depth, path, "TagSet", "Tag", NULL) ? JAN_OK
                                                          : JAN_EPARSE;
  if(depth == 3 && ev == WX_END) {
    if(wx_path_is(depth, path, "TagSet", "Tag", "Key", NULL))
      return wire_set_str(&c->key, text, len);
    if(wx_path_is(depth, path, "TagSet", "Tag", "Value", NULL))
      return wire_set_str(&c->value, text, len);   /* may be "" */
    return JAN_EPARSE;
  }
  if(depth == 2 && ev == WX_END) {
    if(!c->key || !c->value)
      return JAN_EPARSE;
    rc = wire_tag_add(c->t, c->key, strlen(c->key), c->value,
                      strlen(c->value));
    free(c->key);
    free(c->value);
    c->key = c->value = NULL;
    return rc;
  }
  if(depth > 3)
    return JAN_EPARSE;
  return JAN_OK;
}

int wire_s3_parse_tagging(const char *body, size_t len,
                          struct wire_tag_list *out)
{
  struct tag_ctx c = { .t = out };
  int rc;

  memset(out, 0, sizeof(*out));
  rc = wx_walk(body, len, "Tagging", tag_cb, &c);
  if(!rc && !c.seen_set)
    rc = JAN_EPARSE;
  free(c.key);
  free(c.value);
  if(rc)
    wire_tag_list_free(out);
  return rc;
}

/* ---- ListObjectVersions and ListObjectsV2 ---- */

/* The elements of a listing page that mean something to us. */
enum lo_tag {
  LT_OTHER, LT_CONTENTS, LT_VERSION, LT_DELETE_MARKER, LT_KEY,
  LT_VERSION_ID, LT_LAST_MODIFIED, LT_SIZE, LT_IS_TRUNCATED,
  LT_ENCODING_TYPE, LT_NEXT_KEY_MARKER, LT_NEXT_VERSION_ID_MARKER,
  LT_NEXT_CONTINUATION_TOKEN
};

struct lo_ctx {
  struct wire_object_page *p;
  size_t cap;
  int v2;                 /* ListObjectsV2 (else ListObjectVersions) */
  int inprog;
  int seen_version, seen_date, seen_size;
  int seen_trunc, seen_nkm, seen_nvm, seen_nct, seen_enc;
  int url;                /* <EncodingType>url</EncodingType> */
  enum lo_tag tag[3];     /* of the open elements at depths 0..2 */
};

/* <Size>: decimal digits only, 0..WIRE_SIZE_MAX (S3 objects are at most
 * 5 TiB; anything past 2^53 is not a size). */
static int set_size(int64_t *dst, int *seen, const char *text)
{
  int64_t v = 0;
  if(*seen || !text || !*text)
    return JAN_EPARSE;
  *seen = 1;
  for(const char *p = text; *p; p++) {
    if(*p < '0' || *p > '9' || v > WIRE_SIZE_MAX / 10)
      return JAN_EPARSE;
    v = v * 10 + (*p - '0');
  }
  if(v > WIRE_SIZE_MAX)
    return JAN_EPARSE;
  *dst = v;
  return JAN_OK;
}

static int lo_item_start(struct lo_ctx *c, int delete_marker)
{
  struct wire_object_page *p = c->p;
  struct wire_object *o;
  int rc;

  rc = wire_grow((void **)&p->v, &c->cap, p->n, sizeof(*p->v));
  if(rc)
    return rc;
  o = &p->v[p->n];
  o->key = o->version_id = NULL;
  o->delete_marker = delete_marker;
  o->last_modified = WIRE_TIME_UNKNOWN;
  o->size = WIRE_SIZE_UNKNOWN;
  c->inprog = 1;
  c->seen_version = c->seen_date = c->seen_size = 0;
  return JAN_OK;
}


/* An element's tag: by its first two bytes, then one comparison (a page
 * has ten elements an object); found at its start, kept for its end. */
static enum lo_tag lo_tag_of(const char *name)
{
  static const struct { const char *name; enum lo_tag tag; } t[] = {
    { "Contents", LT_CONTENTS }, { "DeleteMarker", LT_DELETE_MARKER },
    { "EncodingType", LT_ENCODING_TYPE }, { "IsTruncated", LT_IS_TRUNCATED },
    { "Key", LT_KEY }, { "LastModified", LT_LAST_MODIFIED },
    { "NextContinuationToken", LT_NEXT_CONTINUATION_TOKEN },
    { "NextKeyMarker", LT_NEXT_KEY_MARKER },
    { "NextVersionIdMarker", LT_NEXT_VERSION_ID_MARKER },
    { "Size", LT_SIZE }, { "Version", LT_VERSION },
    { "VersionId", LT_VERSION_ID },
  };
  for(size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
    if(t[i].name[0] == name[0] && t[i].name[1] == name[1] &&
       !strcmp(t[i].name, name))
      return t[i].tag;
  return LT_OTHER;
}

static int lo_cb(void *arg, enum wx_event ev, int depth,
                 const char *const *path, const char *text, size_t len)
{
  struct lo_ctx *c = arg;
  struct wire_object_page *p = c->p;
  enum lo_tag tag;
  int is_item = 0;

  if(depth > 2 || (depth == 2 && !c->inprog))
    return JAN_OK;
  if(ev == WX_START)
    c->tag[depth] = lo_tag_of(path[depth]);
  tag = c->tag[depth];
  if(depth == 1)
    is_item = c->v2 ? tag == LT_CONTENTS
                    : tag == LT_VERSION || tag == LT_DELETE_MARKER;
  if(ev == WX_START) {
    if(is_item)
      return lo_item_start(c, tag == LT_DELETE_MARKER);
    return JAN_OK;
  }
  if(depth == 2) {
    struct wire_object *o = &p->v[p->n];
    switch(tag) {
    case LT_KEY:
      return len ? wire_set_str(&o->key, text, len) : JAN_EPARSE;
    case LT_VERSION_ID:
      return c->v2 ? JAN_OK
                   : set_opt(&o->version_id, &c->seen_version, text, len);
    case LT_LAST_MODIFIED:
      return set_time(&o->last_modified, &c->seen_date, text);
    case LT_SIZE:
      return set_size(&o->size, &c->seen_size, text);
    default:
      return JAN_OK;
    }
  }
  if(depth != 1)
    return JAN_OK;
  if(is_item) {
    if(!p->v[p->n].key)
      return JAN_EPARSE;
    c->inprog = 0;
    p->n++;
    return JAN_OK;
  }
  switch(tag) {
  case LT_IS_TRUNCATED:
    return set_bool(&p->truncated, &c->seen_trunc, text);
  case LT_ENCODING_TYPE:
    if(c->seen_enc || !text)
      return JAN_EPARSE;
    c->seen_enc = 1;
    if(!strcmp(text, "url"))
      c->url = 1;
    else if(len)
      return JAN_EPARSE;
    return JAN_OK;
  case LT_NEXT_KEY_MARKER:
    return c->v2 ? JAN_OK
                 : set_opt(&p->next_key_marker, &c->seen_nkm, text, len);
  case LT_NEXT_VERSION_ID_MARKER:
    return c->v2 ? JAN_OK : set_opt(&p->next_version_id_marker,
                                    &c->seen_nvm, text, len);
  case LT_NEXT_CONTINUATION_TOKEN:
    return c->v2 ? set_opt(&p->next_continuation_token, &c->seen_nct, text,
                           len)
                 : JAN_OK;
  default:
    return JAN_OK;
  }
}

int wire_url_decode(const char *in, size_t len, char *out, size_t *outlen)
{
  size_t w = 0;

  for(size_t r = 0; r < len; r++) {
    unsigned char ch = (unsigned char)in[r];
    if(ch == '%') {
      int hi = r + 2 < len ? jan_hex_value(in[r + 1]) : -1;
      int lo = hi < 0 ? -1 : jan_hex_value(in[r + 2]);
      if(hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return JAN_EPARSE;
      out[w++] = (char)(hi * 16 + lo);
      r += 2;
    }
    else if(ch == '\0') {
      return JAN_EPARSE;
    }
    else {
      out[w++] = ch == '+' ? ' ' : (char)ch;
    }
  }
  out[w] = '\0';
  *outlen = w;
  return JAN_OK;
}

/* Decoding only shortens: in place, over the NUL-terminated string. */
static int url_decode_inplace(char *s)
{
  size_t n;

  return s ? wire_url_decode(s, strlen(s), s, &n) : JAN_OK;
}

void wire_object_page_free(struct wire_object_page *p)
{
  if(!p)
    return;
  for(size_t i = 0; i < p->n; i++) {
    free(p->v[i].key);
    free(p->v[i].version_id);
  }
  free(p->v);
  free(p->next_key_marker);
  free(p->next_version_id_marker);
  free(p->next_continuation_token);
  memset(p, 0, sizeof(*p));
}

static int parse_objects(const char *body, size_t len, int v2,
                         struct wire_object_page *out)
{
  struct lo_ctx c;
  int rc;

  memset(out, 0, sizeof(*out));
  memset(&c, 0, sizeof(c));
  c.p = out;
  c.v2 = v2;
  rc = wx_walk(body, len, v2 ? "ListBucketResult" : "ListVersionsResult",
               lo_cb, &c);
  if(rc && c.inprog) {
    free(out->v[out->n].key);
    free(out->v[out->n].version_id);
  }
  /* S3 always says whether more follows: a page that does not is not
   * taken for the last one. */
  if(!rc && !c.seen_trunc)
    rc = JAN_EPARSE;
  /* Without url encoding, XML's line-end normalisation reads a CR in a
   * key as LF: such an answer cannot give keys exactly. */
  if(!rc && !c.url && memchr(body, '\r', len))
    rc = JAN_EPARSE;
  if(!rc && c.url) {
    for(size_t i = 0; i < out->n && !rc; i++)
      rc = url_decode_inplace(out->v[i].key);
    if(!rc)
      rc = url_decode_inplace(out->next_key_marker);
  }
  /* A truncated page must say where to go on, or a caller would loop. */
  if(!rc && out->truncated &&
     !(v2 ? out->next_continuation_token : out->next_key_marker))
    rc = JAN_EPARSE;
  if(rc)
    wire_object_page_free(out);
  return rc;
}

int wire_s3_parse_list_versions(const char *body, size_t len,
                                struct wire_object_page *out)
{
  return parse_objects(body, len, 0, out);
}

int wire_s3_parse_list_objects_v2(const char *body, size_t len,
                                  struct wire_object_page *out)
{
  return parse_objects(body, len, 1, out);
}

/* ---- DeleteObjects result ---- */

struct dr_ctx {
  struct wire_delete_result *r;
  size_t cap, capm;
  int inprog;
  int seen_version;
  /* The <Deleted> entry being read. */
  int indel, marker, seen_marker, seen_mvid, seen_dvid;
  struct wire_delete_marker del;
};

static void dr_del_free(struct dr_ctx *c)
{
  free(c->del.key);
  free(c->del.version_id);
  free(c->del.marker_version_id);
  memset(&c->del, 0, sizeof(c->del));
}

/* A <Deleted> field. */
static int dr_deleted_field(struct dr_ctx *c, const char *name,
                            const char *text, size_t len)
{
  if(!strcmp(name, "Key"))
    return wire_set_str(&c->del.key, text, len);
  if(!strcmp(name, "VersionId"))
    return set_opt(&c->del.version_id, &c->seen_dvid, text, len);
  if(!strcmp(name, "DeleteMarker"))
    return set_bool(&c->marker, &c->seen_marker, text);
  if(!strcmp(name, "DeleteMarkerVersionId"))
    return set_opt(&c->del.marker_version_id, &c->seen_mvid, text, len);
  return JAN_OK;
}

/* The end of a <Deleted>: kept when it reports a delete marker. */
static int dr_deleted_end(struct dr_ctx *c)
{
  struct wire_delete_result *r = c->r;
  int rc;

  c->indel = 0;
  r->deleted++;
  if(!c->marker) {
    dr_del_free(c);
    return JAN_OK;
  }
  if(!c->del.key && (rc = wire_set_str(&c->del.key, "", 0)) != JAN_OK)
    return rc;
  rc = wire_grow((void **)&r->markers, &c->capm, r->nmarkers,
                 sizeof(*r->markers));
  if(rc)
    return rc;
  r->markers[r->nmarkers++] = c->del;
  memset(&c->del, 0, sizeof(c->del));
  return JAN_OK;
}

static int dr_cb(void *arg, enum wx_event ev, int depth,
                 const char *const *path, const char *text, size_t len)
{
  struct dr_ctx *c = arg;
  struct wire_delete_result *r = c->r;
  struct wire_delete_error *e;
  int rc;

  /* Only the root's children open and close an entry: the depth first,
   * a name compared only there (a batch answers 1,000 <Deleted>). */
  if(ev == WX_START) {
    if(depth != 1)
      return JAN_OK;
    if(!strcmp(path[1], "Error")) {
      rc = wire_grow((void **)&r->errors, &c->cap, r->nerrors,
                     sizeof(*r->errors));
      if(rc)
        return rc;
      e = &r->errors[r->nerrors];
      memset(e, 0, sizeof(*e));
      c->inprog = 1;
      c->seen_version = 0;
    }
    else if(!strcmp(path[1], "Deleted")) {
      c->indel = 1;
      c->marker = c->seen_marker = c->seen_mvid = c->seen_dvid = 0;
    }
    return JAN_OK;
  }
  if(depth == 2 && c->indel && !strcmp(path[1], "Deleted"))
    return dr_deleted_field(c, path[2], text, len);
  if(depth == 2 && c->inprog && !strcmp(path[1], "Error")) {
    e = &r->errors[r->nerrors];
    if(!strcmp(path[2], "Key"))
      return wire_set_str(&e->key, text, len);
    if(!strcmp(path[2], "VersionId"))
      return set_opt(&e->version_id, &c->seen_version, text, len);
    if(!text)
      return JAN_OK;
    if(!strcmp(path[2], "Code"))
      wire_copy_str(e->code, sizeof(e->code), text, len);
    else if(!strcmp(path[2], "Message"))
      wire_copy_str(e->message, sizeof(e->message), text, len);
  }
  else if(depth != 1)
    return JAN_OK;
  else if(!strcmp(path[1], "Error")) {
    e = &r->errors[r->nerrors];
    if(!e->key) {
      rc = wire_set_str(&e->key, "", 0);
      if(rc)
        return rc;
    }
    c->inprog = 0;
    r->nerrors++;
  }
  else if(!strcmp(path[1], "Deleted"))
    return dr_deleted_end(c);
  return JAN_OK;
}

void wire_delete_result_free(struct wire_delete_result *r)
{
  if(!r)
    return;
  for(size_t i = 0; i < r->nerrors; i++) {
    free(r->errors[i].key);
    free(r->errors[i].version_id);
  }
  free(r->errors);
  for(size_t i = 0; i < r->nmarkers; i++) {
    free(r->markers[i].key);
    free(r->markers[i].version_id);
    free(r->markers[i].marker_version_id);
  }
  free(r->markers);
  memset(r, 0, sizeof(*r));
}

int wire_s3_parse_delete_result(const char *body, size_t len,
                                struct wire_delete_result *out)
{
  struct dr_ctx c;
  int rc;

  memset(out, 0, sizeof(*out));
  memset(&c, 0, sizeof(c));
  c.r = out;
  rc = wx_walk(body, len, "DeleteResult", dr_cb, &c);
  if(rc) {
    if(c.inprog) {
      free(out->errors[out->nerrors].key);
      free(out->errors[out->nerrors].version_id);
    }
    dr_del_free(&c);
    wire_delete_result_free(out);
  }
  return rc;
}

/* ---- DeleteObjects body ---- */

int wire_s3_key_xml_safe(const char *key)
{
  const unsigned char *s = (const unsigned char *)key;

  if(!s)
    return 0;
  while(*s) {
    unsigned c = *s;
    uint32_t cp;
    int n;

    if(c < 0x80) {
      if(c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        return 0;
      s++;
      continue;
    }
    if(c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      n = 1;
    }
    else if(c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      n = 2;
    }
    else if(c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      n = 3;
    }
    else {
      return 0;
    }
    for(int i = 1; i <= n; i++) {
      if((s[i] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong forms, surrogates, beyond U+10FFFF, and the two
     * non-characters that XML 1.0 excludes. */
    if((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
       (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0xFFFE ||
       cp == 0xFFFF)
      return 0;
    s += n + 1;
  }
  return 1;
}

static int xml_escape(struct jbuf *out, const char *s)
{
  int rc = JAN_OK;

  for(; *s && !rc; s++) {
    switch(*s) {
    case '&': rc = jbuf_addstr(out, "&amp;"); break;
    case '<': rc = jbuf_addstr(out, "&lt;"); break;
    case '>': rc = jbuf_addstr(out, "&gt;"); break;
    case '"': rc = jbuf_addstr(out, "&quot;"); break;
    case '\'': rc = jbuf_addstr(out, "&apos;"); break;
    case '\t': rc = jbuf_addstr(out, "&#x9;"); break;
    case '\n': rc = jbuf_addstr(out, "&#xA;"); break;
    case '\r': rc = jbuf_addstr(out, "&#xD;"); break;
    default: rc = jbuf_addc(out, *s); break;
    }
  }
  return rc;
}

int wire_s3_build_delete_body(const struct wire_object *objs, size_t n,
                              int quiet, struct jbuf *out)
{
  size_t start = out->len;
  int rc;

  if(!objs || n < 1 || n > 1000)
    return JAN_EINVAL;
  for(size_t i = 0; i < n; i++) {
    if(!wire_s3_key_xml_safe(objs[i].key) ||
       (objs[i].version_id && !wire_s3_key_xml_safe(objs[i].version_id)))
      return JAN_EINVAL;
  }
  rc = jbuf_addstr(out, "<Delete xmlns=\"http://s3.amazonaws.com/doc/"
                        "2006-03-01/\">");
  if(!rc && quiet)
    rc = jbuf_addstr(out, "<Quiet>true</Quiet>");
  for(size_t i = 0; i < n && !rc; i++) {
    rc = jbuf_addstr(out, "<Object><Key>");
    if(!rc)
      rc = xml_escape(out, objs[i].key);
    if(!rc)
      rc = jbuf_addstr(out, "</Key>");
    if(!rc && objs[i].version_id) {
      rc = jbuf_addstr(out, "<VersionId>");
      if(!rc)
        rc = xml_escape(out, objs[i].version_id);
      if(!rc)
        rc = jbuf_addstr(out, "</VersionId>");
    }
    if(!rc)
      rc = jbuf_addstr(out, "</Object>");
  }
  if(!rc)
    rc = jbuf_addstr(out, "</Delete>");
  if(rc && out->ptr) {
    out->len = start;
    out->ptr[start] = '\0';
  }
  return rc;
}

/* ---- Percent-encoding: SigV4's encoder, the one the signer uses ---- */

static int pct_encode(const char *s, int keep_slash, struct jbuf *out)
{
  if(!s)
    return JAN_EINVAL;
  return sigv4_uri_encode(s, strlen(s), keep_slash, out);
}

int wire_uri_encode_key(const char *key, struct jbuf *out)
{
  return pct_encode(key, 1, out);
}

int wire_query_encode(const char *s, struct jbuf *out)
{
  return pct_encode(s, 0, out);
}
