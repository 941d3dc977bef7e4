/*
 * The streaming XML walker under every XML parser of the wire module, and
 * the XML error answers (S3 and Query).
 *
 * libxml2's SAX2 parser calls the walker as it reads (no tree, and not
 * the node at a time an xmlTextReader builds and frees: reading listings
 * is most of the janitor's CPU); wire_s3_body_is_error() scans bytes
 * where they settle it, else stops an xmlTextReader at the root.  The
 * options leave out XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR
 * and XML_PARSE_HUGE and add XML_PARSE_NONET: nothing is fetched, no
 * entity is substituted, libxml2's own size limits stay on.  On top of
 * that a document with a DOCTYPE is refused before parsing, and a DOCTYPE,
 * an entity declaration or an entity reference is refused if one ever
 * shows up: AWS never sends any.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
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

/* libxml2 reports errors through this; we only look at return codes. */
static void wx_silent(void *arg, xmlErrorPtr err)
{
  (void)arg;
  (void)err;
}

static void wx_generic_silent(void *arg, const char *msg, ...)
{
  (void)arg;
  (void)msg;
}

/* Some of libxml2's errors (an encoding's conversion failing, say) go to
 * its global handlers, not the parser's, and by default to stderr: a
 * server's bytes would decide what the janitor writes there, around its
 * log.  Set before every parse (the handlers are per thread). */
static void wx_quiet(void)
{
  xmlSetGenericErrorFunc(NULL, wx_generic_silent);
  xmlSetStructuredErrorFunc(NULL, wx_silent);
}

/* One walk: the open elements and the text of the innermost. */
struct wx_walker {
  xmlParserCtxtPtr ctxt;
  const char *root;
  wx_cb cb;
  void *arg;
  const char *path[WX_MAX_DEPTH + 1];
  /* Per open element: it has child elements / non-blank text. */
  unsigned char kids[WX_MAX_DEPTH + 1], chars[WX_MAX_DEPTH + 1];
  int depth, seen_root;
  int rc;                       /* the first error: the parser stops */
  struct jbuf text;
};

/* Called from libxml2's callbacks: the first error stops the parse. */
static void wx_fail(struct wx_walker *w, int rc)
{
  if(rc && !w->rc) {
    w->rc = rc;
    xmlStopParser(w->ctxt);
  }
}

static int blank_n(const unsigned char *s, int len)
{
  for(int i = 0; i < len; i++)
    if(s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
      return 0;
  return 1;
}

static void wx_start(void *ctx, const xmlChar *localname,
                     const xmlChar *prefix, const xmlChar *uri, int nns,
                     const xmlChar **ns, int nattr, int ndefaulted,
                     const xmlChar **attr)
{
  struct wx_walker *w = ctx;
  const char *name = (const char *)localname;
  int d = w->depth;

  (void)prefix; (void)uri; (void)nns; (void)ns; (void)nattr;
  (void)ndefaulted; (void)attr;
  if(w->rc)
    return;
  if(!name || d + 1 > WX_MAX_DEPTH) {
    wx_fail(w, JAN_EPARSE);
    return;
  }
  if(d < 0) {
    if(w->seen_root || (w->root && strcmp(name, w->root) != 0)) {
      wx_fail(w, JAN_EPARSE);
      return;
    }
    w->seen_root = 1;
  }
  else {
    /* AWS never mixes text and elements: a value is a leaf. */
    if(w->chars[d]) {
      wx_fail(w, JAN_EPARSE);
      return;
    }
    w->kids[d] = 1;
  }
  /* The names are interned in the parser's dictionary: they live as long
   * as the parser. */
  w->path[++w->depth] = name;
  w->kids[w->depth] = w->chars[w->depth] = 0;
  jbuf_reset(&w->text);
  wx_fail(w, w->cb(w->arg, WX_START, w->depth, w->path, NULL, 0));
}

static void wx_end(void *ctx, const xmlChar *localname,
                   const xmlChar *prefix, const xmlChar *uri)
{
  struct wx_walker *w = ctx;
  int rc;

  (void)localname; (void)prefix; (void)uri;
  if(w->rc)
    return;
  if(w->depth < 0) {
    wx_fail(w, JAN_EPARSE);
    return;
  }
  if(w->kids[w->depth])
    rc = w->cb(w->arg, WX_END, w->depth, w->path, NULL, 0);
  else
    rc = w->cb(w->arg, WX_END, w->depth, w->path, jbuf_str(&w->text),
               w->text.len);
  jbuf_reset(&w->text);
  w->depth--;
  wx_fail(w, rc);
}

/* Text, CDATA and whitespace, in pieces. */
static void wx_text(void *ctx, const xmlChar *ch, int len)
{
  struct wx_walker *w = ctx;
  int nonblank;

  if(w->rc || w->depth < 0 || len <= 0)
    return;
  nonblank = !blank_n(ch, len);
  if(w->kids[w->depth] && nonblank) {
    wx_fail(w, JAN_EPARSE);
    return;
  }
  w->chars[w->depth] |= (unsigned char)nonblank;
  wx_fail(w, jbuf_add(&w->text, ch, (size_t)len));
}

/* A DOCTYPE or an entity: AWS never sends one. */
static void wx_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
                      const xmlChar *sid)
{
  (void)name; (void)eid; (void)sid;
  wx_fail(ctx, JAN_EPARSE);
}

static void wx_reference(void *ctx, const xmlChar *name)
{
  (void)name;
  wx_fail(ctx, JAN_EPARSE);
}

static void wx_entity(void *ctx, const xmlChar *name, int type,
                      const xmlChar *pid, const xmlChar *sid,
                      xmlChar *content)
{
  (void)name; (void)type; (void)pid; (void)sid; (void)content;
  wx_fail(ctx, JAN_EPARSE);
}

/* SAX2 straight into the walker: no tree, not even a node at a time.
 * Comments and processing instructions have no handler (ignored). */
static const xmlSAXHandler wx_sax = {
  .internalSubset = wx_subset,
  .externalSubset = wx_subset,
  .entityDecl = wx_entity,
  .reference = wx_reference,
  .characters = wx_text,
  .cdataBlock = wx_text,
  .ignorableWhitespace = wx_text,
  .initialized = XML_SAX2_MAGIC,
  .startElementNs = wx_start,
  .endElementNs = wx_end,
  .serror = wx_silent,
};

/* A DOCTYPE or an entity declaration anywhere: one pass over the body
 * ('!' is rare in an answer, '<' is not). */
static int has_dtd(const char *body, size_t len)
{
  const char *p = body, *end = body + len;
  while(p < end && (p = memchr(p, '!', (size_t)(end - p))) != NULL) {
    size_t left = (size_t)(end - p);
    if(p > body && p[-1] == '<' &&
       ((left >= 8 && !memcmp(p, "!DOCTYPE", 8)) ||
        (left >= 7 && !memcmp(p, "!ENTITY", 7))))
      return 1;
    p++;
  }
  return 0;
}

/* The parser stopped at the end of its input, with nothing of it left to
 * decode. */
static int wx_read_whole(xmlParserCtxtPtr ctxt)
{
  xmlParserInputPtr in = ctxt->input;
  return in && in->cur == in->end &&
         (!in->buf || !in->buf->raw || !xmlBufUse(in->buf->raw));
}

int wx_walk(const char *body, size_t len, const char *root, wx_cb cb,
            void *arg)
{
  xmlParserCtxtPtr ctxt;
  struct wx_walker w;
  int rc, ret;

  if(!body)
    return JAN_EPARSE;
  if(len > INT_MAX)
    return JAN_ETOOBIG;
  if(has_dtd(body, len))
    return JAN_EPARSE;
  wx_quiet();
  ctxt = xmlCreateMemoryParserCtxt(body, (int)len);
  if(!ctxt)
    return len ? JAN_ENOMEM : JAN_EPARSE;
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
                          XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  /* The context's own handler (allocated with it, freed with it) becomes
   * ours; the parser stays in SAX2 mode (startElementNs). */
  memcpy(ctxt->sax, &wx_sax, sizeof(wx_sax));
  memset(&w, 0, sizeof(w));
  w.ctxt = ctxt;
  w.root = root;
  w.cb = cb;
  w.arg = arg;
  w.depth = -1;
  jbuf_init(&w.text, WX_MAX_TEXT);
  ctxt->userData = &w;
  ret = xmlParseDocument(ctxt);
  rc = w.rc;
  /* A namespace error (an undeclared prefix) leaves the document
   * well-formed for libxml2, not for us; so does a NUL after the root
   * (libxml2 reads it as the end): the whole body must have been read. */
  if(!rc && (ret != 0 || !ctxt->wellFormed || !ctxt->nsWellFormed ||
             !w.seen_root || w.depth != -1 || !wx_read_whole(ctxt)))
    rc = JAN_EPARSE;
  jbuf_free(&w.text);
  if(ctxt->myDoc)               /* never built: no handler makes one */
    xmlFreeDoc(ctxt->myDoc);
  xmlFreeParserCtxt(ctxt);
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

/* The XML declaration (body starts with "<?xml") declares no encoding, or
 * UTF-8 (as S3 does). */
static int decl_utf8(const char *body, size_t len)
{
  const char *e = memmem(body, len, "?>", 2);
  const char *p = e ? memmem(body, (size_t)(e - body), "encoding", 8) : NULL;
  char q;

  if(!e)
    return 0;
  if(!p)
    return 1;
  for(p += 8; p < e && (*p == ' ' || *p == '=' || *p == '\t' ||
                        *p == '\r' || *p == '\n'); p++)
    ;
  if(p >= e || (*p != '"' && *p != '\''))
    return 0;
  q = *p++;
  return e - p > 5 && !strncasecmp(p, "UTF-8", 5) && p[5] == q;
}

/* Whether the root of body cannot be <Error> (nor <p:Error>) by its bytes
 * alone: in a body that starts in ASCII (not UTF-16 or UTF-32, no BOM,
 * not EBCDIC) and is UTF-8, after the XML declaration, white space,
 * comments and processing instructions, the root's start tag is there as
 * its bytes.  A root named otherwise is no error whatever follows; every
 * other body (a DOCTYPE first, a root named Error, anything unexpected)
 * goes through the parser. */
static int surely_not_error(const char *body, size_t len)
{
  const char *p = body, *end = body + len, *name;
  size_t n = len < 4 ? len : 4;

  for(size_t i = 0; i < n; i++)
    if(body[i] <= 0 || body[i] >= 0x7f)
      return 0;
  if(len >= 5 && !memcmp(body, "<?xml", 5) && !decl_utf8(body, len))
    return 0;
  for(;;) {
    while(p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
      p++;
    if(end - p >= 2 && p[0] == '<' && p[1] == '?') {
      p = memmem(p, (size_t)(end - p), "?>", 2);
      if(!p)
        return 0;
      p += 2;
    }
    else if(end - p >= 4 && !memcmp(p, "<!--", 4)) {
      p = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
      if(!p)
        return 0;
      p += 3;
    }
    else
      break;
  }
  if(end - p < 2 || *p != '<')
    return 0;
  name = ++p;
  while(p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
        *p != '>' && *p != '/')
    p++;
  if(p == name || p == end)
    return 0;
  for(const char *c = name; c < p; c++)
    if(*c == ':')
      name = c + 1;
  return (size_t)(p - name) != 5 || memcmp(name, "Error", 5) != 0;
}

int wire_s3_body_is_error(const char *body, size_t len)
{
  xmlTextReaderPtr r;
  int ret, is_error = 0;

  if(!body || !len || len > INT_MAX)
    return 0;
  if(surely_not_error(body, len))
    return 0;
  if(memmem(body, len, "<!DOCTYPE", 9))
    return 0;
  wx_quiet();
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
