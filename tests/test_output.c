/*
 * What a person reads (daemon/output.c, daemon/progress.c): ages in whole
 * units, long names cut in the middle to fit the terminal, and the progress
 * line.  What a program reads: the --sweep --json document, written as it
 * is produced (jsonw.h), the same document json-c would have printed.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <json-c/json.h>

#include "janitor/jsonw.h"
#include "janitor/untrusted.h"
#include "output.h"
#include "progress.h"

static void test_age(void **state)
{
  char b[32];
  (void)state;
  output_age(-1, b, sizeof(b));
  assert_string_equal(b, "-");
  output_age(59, b, sizeof(b));
  assert_string_equal(b, "0m");
  output_age(3599, b, sizeof(b));
  assert_string_equal(b, "59m");
  output_age(3600 * 5 + 59, b, sizeof(b));
  assert_string_equal(b, "5h");
  output_age(86400 * 90 + 86399, b, sizeof(b));
  assert_string_equal(b, "90d");
}

static void test_fit(void **state)
{
  char b[256];
  const char *name = "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec";
  (void)state;
  output_fit(name, 0, b, sizeof(b));           /* no width: never cut */
  assert_string_equal(b, name);
  output_fit(name, 100, b, sizeof(b));
  assert_string_equal(b, name);
  output_fit(name, 21, b, sizeof(b));
  /* 10 bytes of the start, the ellipsis (3 bytes, one column), 10 of the
   * end: 21 columns. */
  assert_string_equal(b, "remotion-r\xe2\x80\xa6""8mb-120sec");
  output_fit(name, 2, b, sizeof(b));            /* too narrow to cut */
  assert_string_equal(b, name);
  /* Never half a UTF-8 character on either side of the cut. */
  output_fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6, b, sizeof(b));
  assert_string_equal(b, "\xc3\xa9\xe2\x80\xa6\xc3\xa9");
}

static void test_progress_line(void **state)
{
  char b[256];
  struct progress_view v = { .done = 3, .total = 12, .objects = 45000,
                             .bucket = "remotionlambda-euwest1-abcdefghij" };
  (void)state;
  progress_format(&v, 9000.4, 0, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s), emptying remotionlambda-euwest1-"
                         "abcdefghij");
  /* 80 columns (79 usable): the counts whole, the name shortened. */
  v.bucket = "remotionlambda-euwest1-abcdefghijklmnopqrstuvwxyz0123456789";
  progress_format(&v, 9000.4, 79, b, sizeof(b));
  assert_int_equal(strlen(b), 79 + 2);          /* 79 columns */
  assert_memory_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s), emptying remot", 70);
  assert_non_null(strstr(b, "\xe2\x80\xa6"));
  assert_string_equal(b + strlen(b) - 4, "6789");
  /* Too narrow for a useful part of the name: the counts alone, whole. */
  progress_format(&v, 9000.4, 40, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(9000/s)");
  v.bucket = NULL;
  progress_format(&v, 0, 0, b, sizeof(b));
  assert_string_equal(b, "3 of 12 deletions done, 45000 objects deleted "
                         "(0/s)");
}

/* jsonw's strings are json-c's, passed through the project's \udcXX
 * rule, byte for byte, for any bytes. */
static void test_jsonw_escaping(void **state)
{
  unsigned seed = 12345;
  (void)state;
  for(int round = 0; round < 2000; round++) {
    char in[40], *a = NULL, *b = NULL;
    size_t n = (size_t)(round % 40), alen, blen;
    FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
    struct json_object *o;
    struct jsonw w;

    for(size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      /* Mostly the bytes that matter: controls, quotes, high bytes. */
      static const char special[] =
          "\"\\/\n\x01\x7f\xc3\xa9\xe2\x80\xae\xff\xf0";
      in[i] = round % 3 ? (char)((seed >> 16) & 0xff)
                        : special[(seed >> 16) % (sizeof(special) - 1)];
      if(!in[i])
        in[i] = 'x';
    }
    o = json_object_new_object();
    json_object_object_add(o, "k", json_object_new_string_len(in, (int)n));
    untrusted_json_fputs(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), fa);
    json_object_put(o);
    jsonw_init_file(&w, fb);
    jsonw_object(&w);
    jsonw_key(&w, "k");
    jsonw_string_len(&w, in, n);
    jsonw_object_end(&w);
    fclose(fa);
    fclose(fb);
    assert_false(jsonw_failed(&w));
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
}

/* A sink that fails stops the writing and says why: a jbuf's cap. */
static void test_jsonw_sink_full(void **state)
{
  struct jbuf b;
  struct jsonw w;
  (void)state;
  jbuf_init(&b, 16);
  jsonw_init_jbuf(&w, &b);
  jsonw_array(&w);
  jsonw_string(&w, "0123456789");
  assert_int_equal(jsonw_failed(&w), JAN_OK);
  jsonw_string(&w, "0123456789");
  assert_int_equal(jsonw_failed(&w), JAN_ETOOBIG);
  jsonw_array_end(&w);
  assert_int_equal(jsonw_failed(&w), JAN_ETOOBIG);
  jbuf_free(&b);
  /* Unbalanced: misuse, said. */
  jbuf_init(&b, 64);
  jsonw_init_jbuf(&w, &b);
  jsonw_object_end(&w);
  assert_int_equal(jsonw_failed(&w), JAN_EINVAL);
  jbuf_free(&b);
}

/* Integers as "%" PRId64 writes them, the extremes included. */
static void test_jsonw_int(void **state)
{
  static const int64_t v[] = { 0, 1, -1, 9, 10, -10, 99, 100, 1714564800,
                               -1714564800, INT64_MAX, INT64_MIN,
                               INT64_MIN + 1, 1000000000000000000 };
  struct jbuf b;
  struct jsonw w;
  char want[32];
  (void)state;

  for(size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    jbuf_init(&b, 64);
    jsonw_init_jbuf(&w, &b);
    jsonw_int(&w, v[i]);
    snprintf(want, sizeof(want), "%" PRId64, v[i]);
    assert_string_equal(jbuf_str(&b), want);
    jbuf_free(&b);
  }
}

/* A function sink: what it was given, in how many calls; it fails from
 * call fail_at on (0: never). */
struct rec_sink {
  struct jbuf got;
  size_t calls, fail_at;
};

static int rec_emit(void *arg, const char *s, size_t n)
{
  struct rec_sink *r = arg;
  if(r->fail_at && ++r->calls >= r->fail_at)
    return JAN_EIO;
  if(!r->fail_at)
    r->calls++;
  return jbuf_add(&r->got, s, n);
}

/* A document of 2,000 members, each with a value of every kind. */
static void big_doc(struct jsonw *w)
{
  char k[16];
  jsonw_object(w);
  for(int i = 0; i < 2000; i++) {
    snprintf(k, sizeof(k), "k%d", i);
    jsonw_key(w, k);
    jsonw_array(w);
    jsonw_string(w, "a \"quoted\"\n\xff value");
    jsonw_int(w, -i);
    jsonw_bool(w, i % 2);
    jsonw_null(w);
    jsonw_double(w, i / 4.0);
    jsonw_time(w, 1714564800 + i);
    jsonw_array_end(w);
  }
  jsonw_object_end(w);
}

/* A FILE or function sink gets the document in pieces, not one call a
 * token: every byte, in order, by the time the document ends (no flush
 * asked), a flush gives what is held mid-document, and a sink that fails
 * stops the writing with its code. */
static void test_jsonw_buffered(void **state)
{
  struct rec_sink r = { .calls = 0 };
  struct jbuf direct;
  struct jsonw w;
  char *text = NULL;
  size_t tlen = 0;
  FILE *f;
  (void)state;

  jbuf_init(&direct, 1u << 24);
  jsonw_init_jbuf(&w, &direct);
  big_doc(&w);
  assert_int_equal(jsonw_failed(&w), JAN_OK);
  assert_true(direct.len > 20 * JSONW_BUF);

  jbuf_init(&r.got, 1u << 24);
  jsonw_init(&w, rec_emit, &r);
  big_doc(&w);
  assert_int_equal(jsonw_failed(&w), JAN_OK);
  assert_int_equal(r.got.len, direct.len);
  assert_memory_equal(r.got.ptr, direct.ptr, direct.len);
  assert_true(r.calls <= direct.len / JSONW_BUF + 1);

  /* A FILE: the whole document is in it when it ends. */
  f = open_memstream(&text, &tlen);
  assert_non_null(f);
  jsonw_init_file(&w, f);
  big_doc(&w);
  assert_int_equal(fflush(f), 0);
  assert_int_equal(tlen, direct.len);
  assert_memory_equal(text, direct.ptr, direct.len);
  /* Another document after it, then a flush mid-document. */
  jsonw_init_file(&w, f);
  jsonw_array(&w);
  jsonw_string(&w, "x");
  assert_int_equal(jsonw_flush(&w), JAN_OK);
  assert_int_equal(fflush(f), 0);
  assert_int_equal(tlen, direct.len + 4);
  assert_memory_equal(text + direct.len, "[\"x\"", 4);
  fclose(f);
  free(text);

  /* Top-level scalars: each goes out when written. */
  jbuf_reset(&r.got);
  r.calls = 0;
  jsonw_init(&w, rec_emit, &r);
  jsonw_int(&w, 42);
  assert_int_equal(r.got.len, 2);
  jsonw_string(&w, "s");
  assert_int_equal(r.got.len, 5);

  /* Misuse says so (too deep), and what was written before it is
   * given. */
  jbuf_reset(&r.got);
  jsonw_init(&w, rec_emit, &r);
  jsonw_array(&w);
  jsonw_int(&w, 1);
  for(int i = 0; i < JSONW_DEPTH_MAX; i++)
    jsonw_array(&w);
  assert_int_equal(jsonw_failed(&w), JAN_EINVAL);
  assert_int_equal(r.got.len, 3 + JSONW_DEPTH_MAX - 1);
  assert_memory_equal(r.got.ptr, "[1,[[", 5);

  /* A sink that fails: its code, and nothing after. */
  jbuf_reset(&r.got);
  r.calls = 0;
  r.fail_at = 2;
  jsonw_init(&w, rec_emit, &r);
  big_doc(&w);
  assert_int_equal(jsonw_failed(&w), JAN_EIO);
  assert_int_equal(r.calls, 2);
  assert_true(r.got.len > JSONW_BUF / 2 && r.got.len <= JSONW_BUF);
  assert_memory_equal(r.got.ptr, direct.ptr, r.got.len);
  jbuf_free(&r.got);
  jbuf_free(&direct);
}

/* The member names of o, in order, joined by ','. */
static void keys_of(struct json_object *o, char *buf, size_t size)
{
  size_t n = 0;
  buf[0] = '\0';
  json_object_object_foreach(o, k, v) {
    (void)v;
    n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", k);
  }
}

static struct json_object *get(struct json_object *o, const char *k)
{
  struct json_object *v = NULL;
  assert_true(json_object_object_get_ex(o, k, &v));
  return v;
}

#define HOSTILE "q\"b\\s/n\nc\x01\x1f" "d\x7f" "e\xc3\xa9" "f\xe2\x80\xae" \
                "g\xff\xc3(h\xed\xa0\x80i"

/* A run of two accounts with hostile names in every place a name goes:
 * one line of valid UTF-8, the document's structure, every member in its
 * order, the exact bytes back (untrusted_json_bytes()), the summary of
 * them all. */
static void test_run_json_hostile(void **state)
{
  struct inventory a, b;
  struct account_result r[2];
  struct inv_item *it;
  struct json_object *doc, *accts, *res, *v;
  char *text = NULL, keys[512];
  size_t len, plain;
  FILE *f;
  (void)state;

  inventory_init(&a);
  inventory_init(&b);
  memcpy(a.account, "111111111111", 13);
  a.started_ms = 1700000000000;
  a.finished_ms = 1700000060000;
  b.started_ms = 1699999990000;
  b.finished_ms = 1700000030000;
  assert_int_equal(inventory_add_region(&a, "eu-west-1"), JAN_OK);
  assert_int_equal(inventory_add_region(&a, "us-east-1"), JAN_OK);
  inventory_mark_incomplete(&a, "us-east-1", JAN_KIND_FUNCTION,
                            "denied: " HOSTILE);
  it = inventory_add(&a, JAN_KIND_FUNCTION, "eu-west-1",
                     "remotion-render-4-0-1-mem2048mb-disk2048mb-120sec",
                     "arn:aws:lambda:eu-west-1:111111111111:function:x", 0,
                     1699000000);
  assert_non_null(it);
  it->remotion = calloc(1, sizeof(*it->remotion));
  assert_non_null(it->remotion);
  snprintf(it->remotion->version, sizeof(it->remotion->version), "4.0.1");
  it->remotion->memory_mb = 2048;
  it->decision = INV_DELETE;
  it->why = INV_REASON_POLICY;
  it = inventory_add(&a, JAN_KIND_LAYER, "eu-west-1", "remotion-binaries",
                     NULL, 3, -1);
  assert_non_null(it);
  it->decision = INV_KEEP;
  it->why = INV_REASON_IN_GRACE;
  it = inventory_add(&a, JAN_KIND_BUCKET, "eu-west-1",
                     "remotionlambda-euwest1-abc", NULL, 0, 1600000000);
  assert_non_null(it);
  it->objects = 12;
  it->bytes = 5000000000;
  {
    int64_t storage[RENDER_CAT_N] = { 5000000000 };
    assert_int_equal(inv_item_set_storage(it, storage), JAN_OK);
  }
  it = inventory_add(&a, JAN_KIND_RENDER, "eu-west-1",
                     "remotionlambda-euwest1-abc/renders/" HOSTILE, NULL, 0,
                     1690000000);
  assert_non_null(it);
  it->bucket = "remotionlambda-euwest1-abc";
  it->newest = 1695000000;
  it->objects = 3;
  it->bytes = 77;
  it->decision = INV_DELETE;
  it->result = INV_RES_FAILED;
  it->error = strdup("AccessDenied: " HOSTILE);
  it = inventory_add(&a, JAN_KIND_PROPS, "eu-west-1",
                     "remotionlambda-euwest1-abc/input-props/", NULL, 0,
                     1690000000);
  assert_non_null(it);
  it->bucket = "remotionlambda-euwest1-abc";
  it->newest = -1;
  it->objects = 1;
  it->bytes = 5;
  a.ignored[JAN_KIND_BUCKET] = 2;
  b.invalid[JAN_KIND_FUNCTION] = 1;
  r[0] = (struct account_result){ "prod " HOSTILE, &a, 1, NULL, NULL, NULL };
  r[1] = (struct account_result){ "other", &b, 3, "no identity\n", NULL, NULL };

  f = open_memstream(&text, &len);
  output_run_json(f, r, 2, JAN_MODE_REPORT, 1700000100, NULL);
  fclose(f);
  /* One line, valid UTF-8 throughout. */
  assert_true(len > 0 && text[len - 1] == '\n');
  assert_null(memchr(text, '\n', len - 1));
  assert_int_equal(untrusted_utf8_span(text, len), len);
  /* The exact bytes back, as a program reads them. */
  plain = untrusted_json_bytes(text);
  doc = json_tokener_parse(text);
  assert_non_null(doc);
  (void)plain;
  keys_of(doc, keys, sizeof(keys));
  assert_string_equal(keys, "mode,started,finished,accounts,summary");
  assert_string_equal(json_object_get_string(get(doc, "mode")), "report");
  assert_string_equal(json_object_get_string(get(doc, "started")),
                      "2023-11-14T22:13:10Z");
  assert_string_equal(json_object_get_string(get(doc, "finished")),
                      "2023-11-14T22:14:20Z");
  accts = get(doc, "accounts");
  assert_int_equal(json_object_array_length(accts), 2);
  v = json_object_array_get_idx(accts, 0);
  keys_of(v, keys, sizeof(keys));
  assert_string_equal(keys, "name,account,regions,code_storage,"
                            "log_group_storage,ignored,resources,summary,"
                            "exit_code,error");
  assert_string_equal(json_object_get_string(get(v, "name")),
                      "prod " HOSTILE);
  assert_string_equal(json_object_get_string(
      get(json_object_array_get_idx(get(v, "regions"), 1), "error")),
      "denied: " HOSTILE);
  assert_int_equal(json_object_get_int(get(get(v, "ignored"), "buckets")),
                   2);
  assert_null(get(v, "error"));
  res = get(v, "resources");
  assert_int_equal(json_object_array_length(res), 5);
  keys_of(json_object_array_get_idx(res, 0), keys, sizeof(keys));
  assert_string_equal(keys, "type,region,name,arn,created,age_s,remotion,"
                            "decision,reason,result,error");
  assert_int_equal(json_object_get_int(get(get(
      json_object_array_get_idx(res, 0), "remotion"), "memory_mb")), 2048);
  keys_of(json_object_array_get_idx(res, 1), keys, sizeof(keys));
  assert_string_equal(keys, "type,region,name,version,arn,created,age_s,"
                            "decision,reason,result,error");
  keys_of(json_object_array_get_idx(res, 2), keys, sizeof(keys));
  assert_string_equal(keys, "type,region,name,arn,created,age_s,objects,"
                            "bytes,storage,estimated_monthly_usd,decision,"
                            "reason,result,error");
  keys_of(json_object_array_get_idx(res, 3), keys, sizeof(keys));
  assert_string_equal(keys, "type,region,name,arn,created,age_s,bucket,"
                            "objects,bytes,decision,reason,result,error");
  v = json_object_array_get_idx(res, 3);
  assert_string_equal(json_object_get_string(get(v, "name")),
                      "remotionlambda-euwest1-abc/renders/" HOSTILE);
  assert_string_equal(json_object_get_string(get(v, "error")),
                      "AccessDenied: " HOSTILE);
  assert_int_equal(json_object_get_int64(get(v, "age_s")),
                   1700000100 - 1695000000);
  assert_string_equal(json_object_get_string(get(v, "result")), "failed");
  keys_of(json_object_array_get_idx(res, 4), keys, sizeof(keys));
  assert_string_equal(keys, "type,region,arn,created,age_s,bucket,"
                            "objects,bytes,decision,reason,result,error");
  assert_null(get(json_object_array_get_idx(res, 4), "age_s"));
  v = json_object_array_get_idx(accts, 1);
  assert_null(get(v, "account"));
  assert_int_equal(json_object_array_length(get(v, "resources")), 0);
  assert_int_equal(json_object_get_int(get(v, "exit_code")), 3);
  assert_string_equal(json_object_get_string(get(v, "error")),
                      "no identity\n");
  assert_int_equal(json_object_get_int(get(get(get(v, "ignored"),
                                               "invalid"), "functions")), 1);
  /* The summary of them all, refused null when nothing was. */
  v = get(doc, "summary");
  keys_of(v, keys, sizeof(keys));
  assert_string_equal(keys, "functions,layer_versions,buckets,log_groups,"
                            "candidates,deleted,failed,refused,"
                            "not_permitted,renders,stored_bytes,"
                            "reclaimed_bytes");
  assert_int_equal(json_object_get_int(get(v, "functions")), 1);
  assert_int_equal(json_object_get_int(get(v, "candidates")), 2);
  assert_int_equal(json_object_get_int(get(v, "failed")), 1);
  assert_null(get(v, "refused"));
  assert_int_equal(json_object_get_int64(get(v, "stored_bytes")),
                   5000000000);
  json_object_put(doc);
  free(text);
  inventory_free(&a);
  inventory_free(&b);
}

/* With an organization: a member's Name as org_name (exact bytes back,
 * null when empty), a section's account without the key, the members
 * skipped, the run's own failure; the lines below the table escaped. */
static void test_run_json_organization(void **state)
{
  struct inventory a, b, c;
  struct account_result r[3];
  struct output_skipped sk[2] = {
    { "555555555555", HOSTILE, "suspended" },
    { "123456789012", NULL, "management account" },
  };
  struct output_run_info info = { 1, sk, 2, "denied: ListAccounts " HOSTILE,
                                  3 };
  struct json_object *doc, *accts, *v;
  char *text = NULL, keys[512];
  size_t len = 0;
  FILE *f;
  (void)state;

  inventory_init(&a);
  inventory_init(&b);
  inventory_init(&c);
  r[0] = (struct account_result){ "210000000000", &a, 3, "x", NULL,
                                  HOSTILE };
  r[1] = (struct account_result){ "220000000000", &b, 3, "x", NULL, "" };
  r[2] = (struct account_result){ "custom", &c, 3, "x", NULL, NULL };
  f = open_memstream(&text, &len);
  output_run_json(f, r, 3, JAN_MODE_DELETE, 1700000100, &info);
  fclose(f);
  assert_int_equal(untrusted_utf8_span(text, len), len);
  (void)untrusted_json_bytes(text);     /* the exact bytes, as read */
  doc = json_tokener_parse(text);
  assert_non_null(doc);
  keys_of(doc, keys, sizeof(keys));
  assert_string_equal(keys, "mode,started,finished,accounts,"
                            "skipped_accounts,summary,exit_code,error");
  assert_int_equal(json_object_get_int(get(doc, "exit_code")), 3);
  assert_string_equal(json_object_get_string(get(doc, "error")),
                      "denied: ListAccounts " HOSTILE);
  accts = get(doc, "accounts");
  v = json_object_array_get_idx(accts, 0);
  keys_of(v, keys, sizeof(keys));
  assert_string_equal(keys, "name,org_name,account,regions,code_storage,"
                            "log_group_storage,ignored,resources,summary,"
                            "exit_code,error");
  assert_string_equal(json_object_get_string(get(v, "org_name")), HOSTILE);
  assert_null(get(json_object_array_get_idx(accts, 1), "org_name"));
  assert_false(json_object_object_get_ex(json_object_array_get_idx(accts, 2),
                                         "org_name", NULL));
  v = get(doc, "skipped_accounts");
  assert_int_equal(json_object_array_length(v), 2);
  keys_of(json_object_array_get_idx(v, 0), keys, sizeof(keys));
  assert_string_equal(keys, "account,name,reason");
  assert_string_equal(json_object_get_string(get(
      json_object_array_get_idx(v, 0), "name")), HOSTILE);
  assert_string_equal(json_object_get_string(get(
      json_object_array_get_idx(v, 0), "reason")), "suspended");
  assert_null(get(json_object_array_get_idx(v, 1), "name"));
  json_object_put(doc);
  free(text);

  /* Below the table: a line per member, a line per member skipped, no
   * control byte nor invalid UTF-8 of the Names. */
  text = NULL;
  f = open_memstream(&text, &len);
  output_run_members(f, r, 3, &info);
  fclose(f);
  assert_int_equal(untrusted_utf8_span(text, len), len);
  for(size_t i = 0; i < len; i++)
    assert_true(text[i] == '\n' || ((unsigned char)text[i] >= 0x20 &&
                                    text[i] != 0x7f));
  assert_non_null(strstr(text, "account 210000000000: \"q"));
  assert_non_null(strstr(text, "\naccount 220000000000: \"\"\n"));
  assert_null(strstr(text, "account custom"));
  assert_non_null(strstr(text, "\nskipped 555555555555: \"q"));
  assert_non_null(strstr(text, "\nskipped 123456789012: \"\" (management "
                               "account)\n"));
  free(text);
  inventory_free(&a);
  inventory_free(&b);
  inventory_free(&c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_age),
    cmocka_unit_test(test_fit),
    cmocka_unit_test(test_progress_line),
    cmocka_unit_test(test_jsonw_escaping),
    cmocka_unit_test(test_jsonw_sink_full),
    cmocka_unit_test(test_jsonw_buffered),
    cmocka_unit_test(test_jsonw_int),
    cmocka_unit_test(test_run_json_hostile),
    cmocka_unit_test(test_run_json_organization),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
