/*
 * The streaming XML walker under every XML parser of the wire module, and
 * the XML error answers (S3 and Query).
 *
 * libxml2's xmlTextReader reads the caller's buffer in place.  The options
 * leave out XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR and
 * XML_PARSE_HUGE and add XML_PARSE_NONET: nothing is fetched, no entity is
 * substituted, libxml2's own size limits stay on.  On top of that a
 * document with a DOCTYPE is refused before parsing, and an entity
 * reference node is refused if one ever shows up: AWS never sends either.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "wire_int.h"

void wire_copy_str(char *dst, size_t size, const char *src, size_t srclen)
{
  untrusted_text(dst, size, src, srclen);
}

int wire_set_str(char **dst, const char *src, size_t len)
{
  char *p;

  if(*dst || !src)
    return JAN_EPARSE;
  if(memchr(src, '\0', len))
    return JAN_EPARSE;
  p = malloc(len + 1);
  if(!p)
    return JAN_ENOMEM;
  memcpy(p, src, len);
  p[len] = '\0';
  *dst = p;
  return JAN_OK;
}

int wire_grow(void **v, size_t *cap, size_t n, size_t elsize)
{
  size_t c;
  void *p;

  if(n < *cap)
    return JAN_OK;
  c = *cap ? *cap * 2 : 16;
  if(c > SIZE_MAX / elsize)
    return JAN_ENOMEM;
  p = realloc(*v, c * elsize);
  if(!p)
    return JAN_ENOMEM;
  *v = p;
  *cap = c;
  return JAN_OK;
}

int wx_path_is(int depth, const char *const *path, ...)
{
  va_list ap;
  const char *name;
  int i = 1, ok = 1;

  va_start(ap, path);
  while((name = va_arg(ap, const char *)) != NULL) {
    if(i > depth || strcmp(path[i], name) != 0) {
      ok = 0;
      break;
    }
    i++;
  }
  va_end(ap);
  return ok && i == depth + 1;
}

static int blank(const char *s)
{
  for(; *s; s++)
    if(*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
      return 0;
  return 1;
}

/* libxml2 reports errors through this; we only look at return codes. */
static void wx_silent(void *arg, xmlErrorPtr err)
{
  (void)arg;
  (void)err;
}

/* One walk: the open elements and the text of the innermost. */
struct wx_walker {
  const char *root;
  wx_cb cb;
  void *arg;
  const char *path[WX_MAX_DEPTH + 1];
  /* Per open element: it has child elements / non-blank text. */
  unsigned char kids[WX_MAX_DEPTH + 1], chars[WX_MAX_DEPTH + 1];
  int depth, seen_root;
  struct jbuf text;
};

static int wx_element(struct wx_walker *w, xmlTextReaderPtr r)
{
  const char *name = (const char *)xmlTextReaderConstLocalName(r);
  int rc, d = w->depth;

  if(!name || d + 1 != xmlTextReaderDepth(r) || d + 1 > WX_MAX_DEPTH)
    return JAN_EPARSE;
  if(d < 0) {
    if(w->seen_root || (w->root && strcmp(name, w->root) != 0))
      return JAN_EPARSE;
    w->seen_root = 1;
  }
  else {
    /* AWS never mixes text and elements: a value is a leaf. */
    if(w->chars[d])
      return JAN_EPARSE;
    w->kids[d] = 1;
  }
  /* The names are interned in the reader's dictionary: they live as long
   * as the reader. */
  w->path[++w->depth] = name;
  w->kids[w->depth] = w->chars[w->depth] = 0;
  jbuf_reset(&w->text);
  rc = w->cb(w->arg, WX_START, w->depth, w->path, NULL, 0);
  if(!rc && xmlTextReaderIsEmptyElement(r)) {
    rc = w->cb(w->arg, WX_END, w->depth, w->path, "", 0);
    w->depth--;
  }
  return rc;
}

static int wx_end(struct wx_walker *w)
{
  int rc;

  if(w->depth < 0)
    return JAN_EPARSE;
  if(w->kids[w->depth])
    rc = w->cb(w->arg, WX_END, w->depth, w->path, NULL, 0);
  else
    rc = w->cb(w->arg, WX_END, w->depth, w->path, jbuf_str(&w->text),
               w->text.len);
  jbuf_reset(&w->text);
  w->depth--;
  return rc;
}

static int wx_text(struct wx_walker *w, xmlTextReaderPtr r, int type)
{
  const xmlChar *val = xmlTextReaderConstValue(r);

  if(!val || w->depth < 0)
    return JAN_OK;
  if(type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
    if(w->kids[w->depth] && !blank((const char *)val))
      return JAN_EPARSE;
    w->chars[w->depth] |= !blank((const char *)val);
  }
  return jbuf_addstr(&w->text, (const char *)val);
}

static int wx_node(struct wx_walker *w, xmlTextReaderPtr r)
{
  int type = xmlTextReaderNodeType(r);

  switch(type) {
  case XML_READER_TYPE_ELEMENT:
    return wx_element(w, r);
  case XML_READER_TYPE_END_ELEMENT:
    return wx_end(w);
  case XML_READER_TYPE_TEXT:
  case XML_READER_TYPE_CDATA:
  case XML_READER_TYPE_WHITESPACE:
  case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
    return wx_text(w, r, type);
  case XML_READER_TYPE_DOCUMENT_TYPE:
  case XML_READER_TYPE_ENTITY_REFERENCE:
  case XML_READER_TYPE_ENTITY:
  case XML_READER_TYPE_NOTATION:
    return JAN_EPARSE;
  default:
    /* Comments, processing instructions. */
    return JAN_OK;
  }
}

int wx_walk(const char *body, size_t len, const char *root, wx_cb cb,
            void *arg)
{
  xmlTextReaderPtr r;
  struct wx_walker w;
  int rc = JAN_OK, ret = 0;

  if(!body)
    return JAN_EPARSE;
  if(len > INT_MAX)
    return JAN_ETOOBIG;
  if(memmem(body, len, "<!DOCTYPE", 9) || memmem(body, len, "<!ENTITY", 8))
    return JAN_EPARSE;
  r = xmlReaderForMemory(body, (int)len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR |
                         XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  if(!r)
    return len ? JAN_ENOMEM : JAN_EPARSE;
  xmlTextReaderSetStructuredErrorHandler(r, wx_silent, NULL);
  memset(&w, 0, sizeof(w));
  w.root = root;
  w.cb = cb;
  w.arg = arg;
  w.depth = -1;
  jbuf_init(&w.text, WX_MAX_TEXT);
  while(!rc && (ret = xmlTextReaderRead(r)) == 1)
    rc = wx_node(&w, r);
  if(!rc && (ret != 0 || !w.seen_root || w.depth != -1))
    rc = JAN_EPARSE;
  jbuf_free(&w.text);
  xmlFreeTextReader(r);
  return rc;
}

/* ---- Errors in XML ---- */

struct err_ctx {
  struct wire_error *e;
  int have_code;
};

static void err_set(char *dst, size_t size, const char *text, size_t len)
{
  wire_copy_str(dst, size, text, len);
}

static int err_cb(void *arg, enum wx_event ev, int depth,
                  const char *const *path, const char *text, size_t len)
{
  struct err_ctx *c = arg;
  struct wire_error *e = c->e;
  const char *root = path[0];
  const char *name;
  int in_error;

  if(ev != WX_END || !text)
    return JAN_OK;
  name = path[depth];
  /* Where the fields of the error live for each of the three shapes. */
  if(!strcmp(root, "Error"))
    in_error = depth == 1;
  else if(!strcmp(root, "ErrorResponse"))
    in_error = depth == 2 && !strcmp(path[1], "Error");
  else
    in_error = depth == 3 && !strcmp(path[1], "Errors") &&
               !strcmp(path[2], "Error");

  if(in_error) {
    if(!strcmp(name, "Code")) {
      if(c->have_code)
        return JAN_EPARSE;
      err_set(e->code, sizeof(e->code), text, len);
      c->have_code = 1;
    }
    else if(!strcmp(name, "Message")) {
      err_set(e->message, sizeof(e->message), text, len);
    }
    else if(!strcmp(name, "RequestId") || !strcmp(name, "RequestID")) {
      err_set(e->request_id, sizeof(e->request_id), text, len);
    }
    else if(!strcmp(name, "Region")) {
      err_set(e->region, sizeof(e->region), text, len);
    }
    else if(!strcmp(name, "BucketRegion")) {
      err_set(e->bucket_region, sizeof(e->bucket_region), text, len);
    }
  }
  else if(depth == 1 && strcmp(root, "Error") != 0 &&
          (!strcmp(name, "RequestId") || !strcmp(name, "RequestID"))) {
    /* Query errors carry the request id beside <Error>. */
    err_set(e->request_id, sizeof(e->request_id), text, len);
  }
  return JAN_OK;
}

/* The root is checked by the first start event. */
static int err_root_cb(void *arg, enum wx_event ev, int depth,
                       const char *const *path, const char *text, size_t len)
{
  if(ev == WX_START && depth == 0 && strcmp(path[0], "Error") != 0 &&
     strcmp(path[0], "ErrorResponse") != 0 && strcmp(path[0], "Response") != 0)
    return JAN_EPARSE;
  return err_cb(arg, ev, depth, path, text, len);
}

int wire_parse_error_xml(const char *body, size_t len, struct wire_error *e)
{
  struct err_ctx c;
  int rc;

  memset(e, 0, sizeof(*e));
  c.e = e;
  c.have_code = 0;
  rc = wx_walk(body, len, NULL, err_root_cb, &c);
  if(!rc && (!c.have_code || !e->code[0]))
    rc = JAN_EPARSE;
  if(rc)
    memset(e, 0, sizeof(*e));
  return rc;
}

int wire_s3_body_is_error(const char *body, size_t len)
{
  xmlTextReaderPtr r;
  int ret, is_error = 0;

  if(!body || !len || len > INT_MAX)
    return 0;
  if(memmem(body, len, "<!DOCTYPE", 9))
    return 0;
  r = xmlReaderForMemory(body, (int)len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR |
                         XML_PARSE_NOWARNING);
  if(!r)
    return 0;
  xmlTextReaderSetStructuredErrorHandler(r, wx_silent, NULL);
  /* Only the root element matters: stop at the first one. */
  while((ret = xmlTextReaderRead(r)) == 1) {
    if(xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT) {
      const xmlChar *name = xmlTextReaderConstLocalName(r);
      is_error = name && !strcmp((const char *)name, "Error");
      break;
    }
  }
  xmlFreeTextReader(r);
  return is_error;
}
