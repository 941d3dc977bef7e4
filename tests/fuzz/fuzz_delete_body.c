/*
 * The DeleteObjects body: build it from fuzzed keys and version ids, then
 * read it back with libxml2 and get the same keys, in order.
 *
 * Input: flags byte, then fields separated by NUL.  Flags bit 0: quiet;
 * bit 1: fields go in pairs (key, version id; an empty version id means
 * none); bit 2: a small output cap, to exercise JAN_ETOOBIG.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/err.h"
#include "janitor/wire.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define MAX_OBJS 1100

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_xml_init();
  return 0;
}

/* XML 1.0 Char, written apart from wire_s3_key_xml_safe() on purpose. */
static int ref_xml_safe(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);

  if(!fuzz_utf8_valid(s, n))
    return 0;
  for(size_t i = 0; i < n; i++) {
    if(p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
      return 0;
    /* U+FFFE and U+FFFF: EF BF BE, EF BF BF. */
    if(p[i] == 0xEF && i + 2 < n && p[i + 1] == 0xBF &&
       (p[i + 2] == 0xBE || p[i + 2] == 0xBF))
      return 0;
  }
  return 1;
}

static int is_elem(xmlNodePtr n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE &&
         !strcmp((const char *)n->name, name);
}

/* The next element sibling; only whitespace-free text is expected, so
 * any other node in between is a failure. */
static xmlNodePtr next_elem(xmlNodePtr n)
{
  return n ? n->next : NULL;
}

static int content_is(xmlNodePtr n, const char *want)
{
  xmlChar *c = xmlNodeGetContent(n);
  int eq = c && !strcmp((const char *)c, want);
  xmlFree(c);
  return eq;
}

static void round_trip(const char *body, size_t len,
                       const struct wire_object *objs, size_t n, int quiet)
{
  xmlDocPtr doc;
  xmlNodePtr root, cur;

  FUZZ_CHECK(len <= (size_t)INT32_MAX);
  /* Nothing raw that XML would rewrite: CR and the other controls go as
   * character references. */
  for(size_t i = 0; i < len; i++)
    FUZZ_CHECK((unsigned char)body[i] >= 0x20);
  doc = xmlReadMemory(body, (int)len, NULL, NULL,
                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                      XML_PARSE_NOWARNING);
  FUZZ_CHECK(doc != NULL);
  root = xmlDocGetRootElement(doc);
  FUZZ_CHECK(is_elem(root, "Delete"));
  FUZZ_CHECK(root->ns && root->ns->href &&
             !strcmp((const char *)root->ns->href, S3_NS));
  cur = root->children;
  if(quiet) {
    FUZZ_CHECK(is_elem(cur, "Quiet") && content_is(cur, "true"));
    cur = next_elem(cur);
  }
  for(size_t i = 0; i < n; i++) {
    xmlNodePtr k, v;

    FUZZ_CHECK(is_elem(cur, "Object"));
    k = cur->children;
    FUZZ_CHECK(is_elem(k, "Key"));
    FUZZ_CHECK(content_is(k, objs[i].key));
    v = next_elem(k);
    if(objs[i].version_id) {
      FUZZ_CHECK(is_elem(v, "VersionId"));
      FUZZ_CHECK(content_is(v, objs[i].version_id));
      v = next_elem(v);
    }
    FUZZ_CHECK(v == NULL);
    cur = next_elem(cur);
  }
  FUZZ_CHECK(cur == NULL);
  xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct wire_object *objs;
  struct jbuf out;
  char *buf;
  char *p, *end;
  size_t n = 0;
  int flags, quiet, pairs, rc, safe = 1;

  if(size < 1)
    return 0;
  flags = data[0];
  quiet = flags & 1;
  pairs = flags & 2;
  buf = fuzz_cstr(data + 1, size - 1);
  objs = calloc(MAX_OBJS, sizeof(*objs));
  if(!objs)
    abort();

  p = buf;
  end = buf + size - 1;
  while(p < end && n < MAX_OBJS) {
    objs[n].key = p;
    p += strlen(p) + 1;
    if(pairs && p < end) {
      if(*p)
        objs[n].version_id = p;
      p += strlen(p) + 1;
    }
    if(!ref_xml_safe(objs[n].key) ||
       (objs[n].version_id && !ref_xml_safe(objs[n].version_id)))
      safe = 0;
    FUZZ_CHECK(wire_s3_key_xml_safe(objs[n].key) ==
               ref_xml_safe(objs[n].key));
    n++;
  }

  jbuf_init(&out, (flags & 4) ? 256 : 64u << 20);
  FUZZ_CHECK(jbuf_addstr(&out, "PRE") == JAN_OK);
  rc = wire_s3_build_delete_body(objs, n, quiet, &out);
  if(n < 1 || n > 1000 || !safe) {
    FUZZ_CHECK(rc == JAN_EINVAL);
  }
  else {
    FUZZ_CHECK(rc == JAN_OK || ((flags & 4) && rc == JAN_ETOOBIG));
  }
  if(rc) {
    /* Out unchanged on failure. */
    FUZZ_CHECK(out.len == 3 && !strcmp(jbuf_str(&out), "PRE"));
  }
  else {
    FUZZ_CHECK(!strncmp(jbuf_str(&out), "PRE", 3));
    round_trip(jbuf_str(&out) + 3, out.len - 3, objs, n, quiet);
  }
  jbuf_free(&out);
  free(objs);
  free(buf);
  return 0;
}
