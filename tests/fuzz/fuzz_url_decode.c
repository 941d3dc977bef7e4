/*
 * S3's encoding-type=url: wire_url_decode() on the input (an exact-size
 * copy, so that ASan sees any read past the end), checked against the
 * rules, re-encoded and decoded back to the same bytes, decoded in place
 * to the same result; and, when the input is plain url text, the same key
 * through a whole ListObjectsV2 page.
 */
#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/wire.h"

static int hex(uint8_t c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* What the rules say, independently: 1 when the input decodes. */
static int decodes(const uint8_t *d, size_t n)
{
  for(size_t i = 0; i < n; i++) {
    if(!d[i])
      return 0;
    if(d[i] == '%') {
      if(i + 2 >= n || !hex(d[i + 1]) || !hex(d[i + 2]) ||
         (d[i + 1] == '0' && d[i + 2] == '0'))
        return 0;
      i += 2;
    }
  }
  return 1;
}

/* The inverse, as S3 writes it: unreserved bytes and '/' as they are, a
 * space as '+', every other byte %XX. */
static size_t encode(const char *s, size_t n, char *out)
{
  static const char hx[] = "0123456789ABCDEF";
  size_t w = 0;
  for(size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
       c == '~' || c == '/') {
      out[w++] = (char)c;
    }
    else if(c == ' ') {
      out[w++] = '+';
    }
    else {
      out[w++] = '%';
      out[w++] = hx[c >> 4];
      out[w++] = hx[c & 15];
    }
  }
  return w;
}

static int plain_url_text(const uint8_t *d, size_t n)
{
  for(size_t i = 0; i < n; i++)
    if(!((d[i] >= 'A' && d[i] <= 'Z') || (d[i] >= 'a' && d[i] <= 'z') ||
         (d[i] >= '0' && d[i] <= '9') || strchr("%+-_.~/", d[i])))
      return 0;
  return n > 0;
}

static void through_a_page(const uint8_t *data, size_t size, int rc,
                           const char *want)
{
  static const char head[] = "<ListBucketResult><EncodingType>url"
                             "</EncodingType><IsTruncated>false"
                             "</IsTruncated><Contents><Key>";
  static const char tail[] = "</Key></Contents></ListBucketResult>";
  struct wire_object_page p;
  size_t n = sizeof(head) - 1 + size + sizeof(tail) - 1;
  char *doc = malloc(n);
  int prc;

  if(!doc)
    abort();
  memcpy(doc, head, sizeof(head) - 1);
  memcpy(doc + sizeof(head) - 1, data, size);
  memcpy(doc + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
  prc = wire_s3_parse_list_objects_v2(doc, n, &p);
  FUZZ_CHECK(prc == (rc ? JAN_EPARSE : JAN_OK));
  if(!prc) {
    FUZZ_CHECK(p.n == 1 && !strcmp(p.v[0].key, want));
    wire_object_page_free(&p);
  }
  free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = fuzz_dup(data, size);
  char *out = malloc(size + 1), *enc = malloc(3 * size + 1);
  char *back = malloc(3 * size + 1);
  size_t n = 0, en, bn = 0;
  int rc;

  if(!out || !enc || !back)
    abort();
  rc = wire_url_decode(in, size, out, &n);
  FUZZ_CHECK(rc == JAN_OK || rc == JAN_EPARSE);
  FUZZ_CHECK((rc == JAN_OK) == decodes(data, size));
  if(!rc) {
    FUZZ_CHECK(n <= size);
    FUZZ_CHECK(out[n] == '\0' && memchr(out, '\0', n) == NULL);
    /* Re-encoded as S3 would, it decodes to the same bytes. */
    en = encode(out, n, enc);
    FUZZ_CHECK(wire_url_decode(enc, en, back, &bn) == JAN_OK);
    FUZZ_CHECK(bn == n && !memcmp(back, out, n + 1));
    /* In place: the same. */
    memcpy(back, data, size);
    FUZZ_CHECK(wire_url_decode(back, size, back, &bn) == JAN_OK);
    FUZZ_CHECK(bn == n && !memcmp(back, out, n + 1));
  }
  /* Without XML escaping to do, the input can be a key of a page. */
  if(plain_url_text(data, size) && size < 2048)
    through_a_page(data, size, rc, out);
  free(back);
  free(enc);
  free(out);
  free(in);
  return 0;
}
