/*
 * A bucket's listing into render grouping and the pruning decision
 * (render.c): the listing is a ListObjectVersions or ListObjectsV2 answer
 * through the wire parser, added twice (as lister chains overlapping would)
 * and grouped.  The first byte picks the parser and the mode, the second
 * the age limit; the rest is the body.
 *
 * Checked: duplicates count once; every object of a render is under
 * renders/<id>/ of that render; a decision never prunes an output in
 * artifacts mode, a render with an object newer than the age limit or of
 * unknown age, nor anything outside renders/<id>/ and the props prefixes;
 * the byte sums stay in range.
 */
#include <libxml/parser.h>

#include "fuzz_util.h"
#include "janitor/err.h"
#include "janitor/render.h"
#include "janitor/wire.h"

#define NOW INT64_C(1800000000)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_xml_init();
  return 0;
}

static int under_render(const char *key, const char *id)
{
  size_t n = strlen(id);
  return !strncmp(key, "renders/", 8) && !strncmp(key + 8, id, n) &&
         key[8 + n] == '/' && key[9 + n] != '\0';
}

static void check_render(const struct render_set *s, const struct render *r,
                         const struct jan_config *cfg)
{
  int why = render_keep_reason(s, r, "remotionlambda-x", cfg, NOW) !=
            INV_REASON_POLICY;
  size_t objects;
  int64_t bytes;

  FUZZ_CHECK(r->id && r->id[0] && !strchr(r->id, '/'));
  FUZZ_CHECK(r->n > 0 && r->first + r->n <= s->n);
  FUZZ_CHECK(r->bytes >= 0 && r->output_bytes >= 0 &&
             r->output_bytes <= r->bytes);
  render_prunable(s, r, cfg->renders, &objects, &bytes);
  FUZZ_CHECK(objects <= r->n && bytes >= 0 && bytes <= r->bytes);
  for(size_t i = r->first; i < r->first + r->n; i++) {
    size_t idlen;
    enum render_cat c = render_classify(s->o[i].key, &idlen);
    FUZZ_CHECK(under_render(s->o[i].key, r->id));
    FUZZ_CHECK(c == RENDER_CAT_RENDERS || c == RENDER_CAT_OUTPUTS);
    if(render_obj_pruned(s, r, i, cfg->renders))
      FUZZ_CHECK(cfg->renders == JAN_RENDERS_ALL ||
                 c != RENDER_CAT_OUTPUTS);
    /* A candidate: every object dated, none younger than the limit. */
    if(!why) {
      FUZZ_CHECK(s->o[i].mtime >= RENDER_TIME_MIN &&
                 s->o[i].mtime <= NOW &&
                 (uint64_t)(NOW - s->o[i].mtime) >= cfg->render_max_age_s);
      FUZZ_CHECK(s->o[i].size >= 0);
    }
  }
  if(!why)
    FUZZ_CHECK(objects > 0 && cfg->renders != JAN_RENDERS_KEEP);
}

static void check_set(const struct render_set *s,
                      const struct jan_config *cfg)
{
  int64_t sum = 0;
  size_t in_renders = 0;

  for(size_t i = 0; i < s->n; i++) {
    size_t idlen;
    enum render_cat c = render_classify(s->o[i].key, &idlen);
    FUZZ_CHECK(s->o[i].size >= 0 && s->o[i].size <= WIRE_SIZE_MAX);
    if(i)
      FUZZ_CHECK(strcmp(s->o[i - 1].key, s->o[i].key) <= 0);
    if(c == RENDER_CAT_RENDERS || c == RENDER_CAT_OUTPUTS)
      in_renders++;
    if(render_props_pruned(s, i, cfg, NOW))
      FUZZ_CHECK(c == RENDER_CAT_PROPS && s->o[i].mtime >= RENDER_TIME_MIN
                 && s->o[i].mtime <= NOW);
  }
  for(int c = 0; c < RENDER_CAT_N; c++) {
    FUZZ_CHECK(s->storage[c] >= 0 && s->storage[c] <= s->bytes);
    sum = sum > INT64_MAX - s->storage[c] ? INT64_MAX : sum + s->storage[c];
  }
  FUZZ_CHECK(s->bytes >= 0 && s->bytes <= sum);
  for(size_t r = 0; r < s->nr; r++) {
    check_render(s, &s->r[r], cfg);
    in_renders -= s->r[r].n;
  }
  FUZZ_CHECK(in_renders == 0);  /* every render object in one render */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char keep0[] = "remotionlambda-x/renders/k*";
  struct jan_config cfg;
  struct wire_object_page p;
  struct render_set s, once;
  const char *body;
  size_t len;
  int v2, rc;

  if(size < 2)
    return 0;
  v2 = data[0] & 1;
  memset(&cfg, 0, sizeof(cfg));
  cfg.renders = (enum jan_renders)((data[0] >> 1) % 3);
  cfg.render_max_age_s = (uint64_t)data[1] * 86400u;
  cfg.keep[0] = keep0;
  cfg.nkeep = 1;
  body = (const char *)data + 2;
  len = size - 2;
  rc = v2 ? wire_s3_parse_list_objects_v2(body, len, &p)
          : wire_s3_parse_list_versions(body, len, &p);
  if(rc)
    return 0;
  render_set_init(&s);
  render_set_init(&once);
  /* Twice into s (overlapping chains), once into once. */
  if(!render_set_add(&s, p.v, p.n) && !render_set_add(&s, p.v, p.n) &&
     !render_set_add(&once, p.v, p.n) && !render_set_group(&s) &&
     !render_set_group(&once)) {
    check_set(&s, &cfg);
    FUZZ_CHECK(s.n == once.n && s.nr == once.nr);
  }
  render_set_free(&s);
  render_set_free(&once);
  wire_object_page_free(&p);
  return 0;
}
