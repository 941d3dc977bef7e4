/*
 * The state file, the sweep lock and the audit log: what a janitor with
 * delete rights relies on after a crash, a kill -9 or a tampered
 * directory.  Every test runs in its own mkdtemp() directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "janitor/audit.h"
#include "janitor/fsafe.h"
#include "janitor/inventory.h"
#include "janitor/caps.h"
#include "janitor/state.h"
#include "janitor/untrusted.h"
#include "janitor/wire.h"

struct fx {
  char dir[64];
  char path[128];               /* dir/state.json */
  char audit[128];              /* dir/audit.jsonl */
  /* Children and pipes, ended and closed by teardown whatever happened:
     a failed test must not leave a child holding the lock (or the output
     of ctest) forever. */
  pid_t kids[8];
  int nkids;
  int fds[8];
  int nfds;
};

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  if(!f)
    return -1;
  snprintf(f->dir, sizeof(f->dir), "/tmp/jan-state-XXXXXX");
  if(!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
  snprintf(f->audit, sizeof(f->audit), "%s/audit.jsonl", f->dir);
  *state = f;
  return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static int teardown(void **state)
{
  struct fx *f = *state;
  for(int i = 0; i < f->nfds; i++)
    close(f->fds[i]);
  for(int i = 0; i < f->nkids; i++) {
    if(f->kids[i] > 0) {
      kill(f->kids[i], SIGKILL);
      waitpid(f->kids[i], NULL, 0);
    }
  }
  chmod(f->dir, 0700);
  nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(f);
  return 0;
}

/* ---- Helpers ---- */

/* fork(); the child dies with the parent. */
static pid_t spawn(struct fx *f)
{
  pid_t parent = getpid(), pid;

  assert_true(f->nkids < (int)JAN_ARRAY_SIZE(f->kids));
  pid = fork();
  assert_true(pid >= 0);
  if(pid == 0) {
    if(prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
      _exit(99);
    return 0;
  }
  f->kids[f->nkids++] = pid;
  return pid;
}

/* Wait for a child; its exit status. */
static int reap(struct fx *f, pid_t pid)
{
  int status;

  assert_int_equal(waitpid(pid, &status, 0), pid);
  for(int i = 0; i < f->nkids; i++)
    if(f->kids[i] == pid)
      f->kids[i] = 0;
  return status;
}

static void make_pipe(struct fx *f, int p[2])
{
  assert_true(f->nfds + 2 <= (int)JAN_ARRAY_SIZE(f->fds));
  assert_int_equal(pipe(p), 0);
  f->fds[f->nfds++] = p[0];
  f->fds[f->nfds++] = p[1];
}

static void write_file(const char *path, const void *data, size_t len)
{
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  if(len)
    assert_int_equal(fwrite(data, 1, len, fp), len);
  assert_int_equal(fclose(fp), 0);
}

/* The whole file (NUL-terminated, caller frees), or NULL. */
static char *read_file(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;

  if(!fp)
    return NULL;
  for(;;) {
    size_t r;
    if(cap - n < 4096) {
      cap = cap ? cap * 2 : 8192;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    r = fread(buf + n, 1, cap - n - 1, fp);
    n += r;
    if(!r)
      break;
  }
  fclose(fp);
  buf[n] = '\0';
  if(len)
    *len = n;
  return buf;
}

/* How many entries of dir start with prefix; the last one in name. */
static int count_prefix(const char *dir, const char *prefix, char *name,
                        size_t nsize)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;

  assert_non_null(d);
  while((e = readdir(d))) {
    if(!strncmp(e->d_name, prefix, strlen(prefix))) {
      n++;
      if(name)
        snprintf(name, nsize, "%s/%s", dir, e->d_name);
    }
  }
  closedir(d);
  return n;
}

/* Entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
  return count_prefix(dir, "", NULL, 0) - 2;
}

static void remove_prefix(const char *dir, const char *prefix)
{
  char name[512];
  while(count_prefix(dir, prefix, name, sizeof(name)) > 0)
    assert_int_equal(remove(name), 0);
}

/* Strict JSON parse of exactly len bytes; NULL when not JSON. */
static struct json_object *parse_strict(const char *s, size_t len)
{
  struct json_tokener *tok = json_tokener_new();
  struct json_object *o;

  assert_non_null(tok);
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  o = json_tokener_parse_ex(tok, s, (int)len);
  if(o && json_tokener_get_parse_end(tok) != len) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  return o;
}

static int64_t ms_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A small deterministic generator: the tests must not vary by run. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
  rnd_state = rnd_state * 1103515245u + 12345u;
  return rnd_state >> 8;
}

/* ---- Keys and clocks ---- */

static void test_key(void **state)
{
  struct jbuf b;
  (void)state;
  jbuf_init(&b, 256);
  assert_int_equal(state_key(&b, "function", "eu-west-1", "remotion-x", 0),
                   JAN_OK);
  assert_string_equal(jbuf_str(&b), "function|eu-west-1|remotion-x|0");
  jbuf_reset(&b);
  assert_int_equal(state_key(&b, "layer_version", "us-east-1",
                             "remotion-binaries", 42), JAN_OK);
  assert_string_equal(jbuf_str(&b), "layer_version|us-east-1|"
                      "remotion-binaries|42");
  jbuf_free(&b);
}

/* Clock keys of renders: the full identity, never a cut display name.
 * Two render ids sharing their first 200 bytes are two keys; an identity
 * past the key's cap is an error, not a shorter key. */
static void test_key_full_identity(void **state)
{
  char id1[260], id2[260], *huge;
  struct inv_item r1, r2, props;
  struct jbuf a, b;
  (void)state;

  memset(id1, 'x', 200);
  memcpy(id1 + 200, "-first", sizeof("-first"));
  memset(id2, 'x', 200);
  memcpy(id2 + 200, "-second", sizeof("-second"));
  memset(&r1, 0, sizeof(r1));
  r1.kind = JAN_KIND_RENDER;
  r1.region = "eu-west-1";
  r1.bucket = (char *)(uintptr_t)"remotionlambda-euwest1-abcdefghij";
  r1.name = id1;
  r2 = r1;
  r2.name = id2;
  props = r1;
  props.kind = JAN_KIND_PROPS;
  jbuf_init(&a, 4096);
  jbuf_init(&b, 4096);
  assert_int_equal(inv_identity(&r1, &a), JAN_OK);
  assert_int_equal(inv_identity(&r2, &b), JAN_OK);
  assert_string_not_equal(jbuf_str(&a), jbuf_str(&b));
  assert_int_equal(a.len, strlen(r1.bucket) + strlen("/renders/") +
                   strlen(id1));
  assert_int_equal(strncmp(jbuf_str(&a), "remotionlambda-euwest1-abcdefghij/"
                           "renders/xxxx", 46), 0);
  jbuf_reset(&b);
  assert_int_equal(inv_identity(&props, &b), JAN_OK);
  assert_string_equal(jbuf_str(&b),
                      "remotionlambda-euwest1-abcdefghij/*-props/");
  /* Past the cap: JAN_ETOOBIG, nothing shorter. */
  huge = malloc(5000);
  assert_non_null(huge);
  memset(huge, 'y', 4999);
  huge[4999] = '\0';
  r1.name = huge;
  jbuf_reset(&a);
  assert_int_equal(inv_identity(&r1, &a), JAN_ETOOBIG);
  assert_int_equal(a.len, 0);
  free(huge);
  jbuf_free(&a);
  jbuf_free(&b);
}

/* The key of clock i (in key order) of st, copied into buf. */
static const char *key_at(const struct state *st, size_t i, char *buf,
                          size_t size)
{
  struct state_clock_iter *it = state_clock_iter_new(st);
  struct state_clock c;
  size_t k = 0;
  assert_non_null(it);
  buf[0] = '\0';
  while(state_clock_next(it, &c))
    if(k++ == i) {
      assert_true(c.len < size);
      memcpy(buf, c.key, c.len + 1);
      break;
    }
  state_clock_iter_free(it);
  assert_true(k == i + 1);
  return buf;
}

/* Every clock of st in strictly increasing key order, in range, and
 * found again by its key; their count is st->n. */
static void assert_clocks_sane(const struct state *st)
{
  struct state_clock_iter *it = state_clock_iter_new(st);
  struct state_clock c;
  char *prev = calloc(1, JAN_STATE_KEY_MAX + 1);
  size_t n = 0;
  assert_non_null(it);
  assert_non_null(prev);
  while(state_clock_next(it, &c)) {
    assert_true(c.since >= 0 && c.since <= INT64_C(253402300799));
    assert_true(c.len > 0 && c.len == strlen(c.key));
    if(n)
      assert_true(strcmp(prev, c.key) < 0);
    memcpy(prev, c.key, c.len + 1);
    assert_int_equal(state_clock_get(st, c.key), c.since);
    n++;
  }
  assert_int_equal(n, st->n);
  state_clock_iter_free(it);
  free(prev);
}

static void test_clock_set_get(void **state)
{
  struct state st;
  char kb[64];
  (void)state;
  state_init(&st);
  assert_int_equal(state_clock_get(&st, "a"), -1);
  assert_int_equal(state_clock_set(&st, "b", 20), JAN_OK);
  assert_int_equal(state_clock_set(&st, "a", 10), JAN_OK);
  assert_int_equal(state_clock_set(&st, "c", 30), JAN_OK);
  assert_int_equal(st.n, 3);
  /* Insert-or-replace: the same key once, with the last value. */
  assert_int_equal(state_clock_set(&st, "b", 25), JAN_OK);
  assert_int_equal(st.n, 3);
  assert_int_equal(state_clock_get(&st, "a"), 10);
  assert_int_equal(state_clock_get(&st, "b"), 25);
  assert_int_equal(state_clock_get(&st, "c"), 30);
  assert_int_equal(state_clock_get(&st, "d"), -1);
  assert_string_equal(key_at(&st, 0, kb, sizeof(kb)), "a");
  assert_string_equal(key_at(&st, 2, kb, sizeof(kb)), "c");
  /* What could not be loaded back is not accepted. */
  assert_int_equal(state_clock_set(&st, "", 5), JAN_EINVAL);
  assert_int_equal(state_clock_set(&st, "d", -1), JAN_EINVAL);
  assert_int_equal(state_clock_set(&st, "d", INT64_C(253402300800)),
                   JAN_EINVAL);
  assert_int_equal(st.n, 3);
  state_free(&st);
  assert_int_equal(st.n, 0);
  assert_null(st.ck);
}

/* ---- Round trips ---- */

static void test_roundtrip(void **state)
{
  struct fx *f = *state;
  struct state st, st2;
  struct jbuf err, warn;
  struct json_object *ls;
  struct stat sb;

  state_init(&st);
  state_init(&st2);
  jbuf_init(&err, 4096);
  jbuf_init(&warn, 4096);
  assert_int_equal(state_clock_set(&st, "function|eu-west-1|remotion-"
                                   "render-4-0-100-mem2048mb|0", 1700000000),
                   JAN_OK);
  assert_int_equal(state_clock_set(&st, "bucket|us-east-1|"
                                   "remotionlambda-useast1-abc|0", 0), JAN_OK);
  assert_int_equal(state_clock_set(&st, "layer_version|eu-central-1|"
                                   "remotion-binaries|12", 1800000000),
                   JAN_OK);
  ls = json_tokener_parse("{\"started\":\"2024-05-01T12:00:00Z\","
                          "\"deleted\":3,\"regions\":{\"eu-west-1\":\"ok\"},"
                          "\"note\":\"a \\\"quoted\\\"\\nline\"}");
  assert_non_null(ls);
  state_set_last_sweep(&st, ls);

  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  assert_string_equal(jbuf_str(&err), "");
  /* Only the file: no temporary left; not readable by others. */
  assert_int_equal(count_entries(f->dir), 1);
  assert_int_equal(lstat(f->path, &sb), 0);
  assert_true(S_ISREG(sb.st_mode));
  assert_int_equal(sb.st_mode & 0137, 0);

  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(st2.n, 3);
  for(size_t i = 0; i < st.n; i++) {
    char k1[128], k2[128];
    assert_string_equal(key_at(&st2, i, k2, sizeof(k2)),
                        key_at(&st, i, k1, sizeof(k1)));
    assert_int_equal(state_clock_get(&st2, k1), state_clock_get(&st, k1));
  }
  assert_non_null(st2.last_sweep);
  assert_string_equal(json_object_to_json_string(st2.last_sweep),
                      json_object_to_json_string(st.last_sweep));

  /* An empty state round-trips to an empty state without last_sweep. */
  state_free(&st);
  state_free(&st2);
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(st2.n, 0);
  assert_null(st2.last_sweep);
  state_free(&st2);
  jbuf_free(&err);
  jbuf_free(&warn);
}

#define MANY 10000

static void test_many_clocks(void **state)
{
  struct fx *f = *state;
  struct state st, st2;
  struct jbuf err, warn, key;
  unsigned *order = malloc(MANY * sizeof(*order));

  assert_non_null(order);
  state_init(&st);
  state_init(&st2);
  jbuf_init(&err, 4096);
  jbuf_init(&warn, 4096);
  jbuf_init(&key, 256);
  for(unsigned i = 0; i < MANY; i++)
    order[i] = i;
  for(unsigned i = MANY - 1; i > 0; i--) {
    unsigned j = rnd() % (i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for(unsigned i = 0; i < MANY; i++) {
    jbuf_reset(&key);
    assert_int_equal(state_key(&key, "function", "eu-west-1",
                               "remotion-render-x", order[i]), JAN_OK);
    assert_int_equal(state_clock_set(&st, jbuf_str(&key),
                                     1700000000 + order[i]), JAN_OK);
  }
  assert_int_equal(st.n, MANY);
  assert_clocks_sane(&st);
  /* Replace every other one, in another order: still MANY entries. */
  for(unsigned i = 0; i < MANY; i += 2) {
    jbuf_reset(&key);
    assert_int_equal(state_key(&key, "function", "eu-west-1",
                               "remotion-render-x", order[i]), JAN_OK);
    assert_int_equal(state_clock_set(&st, jbuf_str(&key), order[i]), JAN_OK);
  }
  assert_int_equal(st.n, MANY);

  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(st2.n, MANY);
  for(unsigned i = 0; i < MANY; i++) {
    int64_t want = (i % 2) ? 1700000000 + order[i] : order[i];
    jbuf_reset(&key);
    assert_int_equal(state_key(&key, "function", "eu-west-1",
                               "remotion-render-x", order[i]), JAN_OK);
    assert_int_equal(state_clock_get(&st, jbuf_str(&key)), want);
    assert_int_equal(state_clock_get(&st2, jbuf_str(&key)), want);
  }
  assert_int_equal(state_clock_get(&st2, "function|eu-west-1|"
                                   "remotion-render-x|10000"), -1);
  assert_int_equal(state_clock_get(&st2, ""), -1);
  assert_int_equal(state_clock_get(&st2, "zzz"), -1);
  state_free(&st);
  state_free(&st2);
  jbuf_free(&err);
  jbuf_free(&warn);
  jbuf_free(&key);
  free(order);
}

/* A hand-written file: unsorted, spaced, with a key we do not know. */
static void test_load_hand_written(void **state)
{
  struct fx *f = *state;
  static const char text[] =
      "{\n  \"clocks\": { \"b|r|n|0\": 2, \"a|r|n|0\": 1 },\n"
      "  \"comment\": \"ignored\",\n  \"version\": 1,\n"
      "  \"last_sweep\": null\n}\n";
  struct state st;
  struct jbuf warn;
  char kb[64];

  state_init(&st);
  jbuf_init(&warn, 4096);
  write_file(f->path, text, sizeof(text) - 1);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(st.n, 2);
  assert_string_equal(key_at(&st, 0, kb, sizeof(kb)), "a|r|n|0");
  assert_int_equal(state_clock_get(&st, "b|r|n|0"), 2);
  assert_null(st.last_sweep);
  state_free(&st);
  jbuf_free(&warn);
}

/* Clocks are kept per account: the same key in two accounts, two clocks,
 * saved and loaded apart. */
static void test_accounts_apart(void **state)
{
  struct fx *f = *state;
  struct state root, back, *a = NULL, *b = NULL, *again = NULL;
  struct jbuf err;

  state_init(&root);
  state_init(&back);
  jbuf_init(&err, 4096);
  assert_int_equal(state_claim(&root, "111111111111", 0, &a), JAN_OK);
  assert_int_equal(state_claim(&root, "222222222222", 0, &b), JAN_OK);
  assert_true(a != b);
  /* One account, one sweep a run. */
  assert_int_equal(state_claim(&root, "111111111111", 0, &again), JAN_EBUSY);
  assert_null(again);
  assert_int_equal(state_claim(&root, "11111111111", 0, &again), JAN_EINVAL);
  assert_int_equal(state_claim(&root, "11111111111a", 0, &again),
                   JAN_EINVAL);
  assert_int_equal(state_clock_set(a, "function|eu-west-1|remotion-x|0", 100),
                   JAN_OK);
  assert_int_equal(state_clock_set(b, "function|eu-west-1|remotion-x|0", 200),
                   JAN_OK);
  state_set_last_sweep(b, json_object_new_object());
  b->first_sweep = 1700000000;
  assert_int_equal(state_save(&root, f->path, &err), JAN_OK);
  assert_int_equal(state_load(&back, f->path, &err), JAN_OK);
  assert_string_equal(jbuf_str(&err), "");
  assert_int_equal(back.n, 0);
  assert_int_equal(back.naccounts, 2);
  assert_int_equal(state_clock_get(state_account_get(&back, "111111111111"),
                                   "function|eu-west-1|remotion-x|0"), 100);
  assert_int_equal(state_clock_get(state_account_get(&back, "222222222222"),
                                   "function|eu-west-1|remotion-x|0"), 200);
  /* The record of each account's first sweep: kept, or absent (0). */
  assert_int_equal(state_account_get(&back, "111111111111")->first_sweep, 0);
  assert_int_equal(state_account_get(&back, "222222222222")->first_sweep,
                   1700000000);
  assert_null(state_account_get(&back, "111111111111")->last_sweep);
  assert_non_null(state_account_get(&back, "222222222222")->last_sweep);
  assert_null(state_account_get(&back, "333333333333"));
  /* Claims are not saved: a new run claims again. */
  assert_int_equal(state_claim(&back, "111111111111", 0, &again), JAN_OK);
  state_free(&root);
  state_free(&back);
  jbuf_free(&err);
}

/* A version 1 file (before accounts): its clocks are taken over by the
 * only account swept, and written back as version 2; with several
 * accounts nobody can tell whose they were: they stay unattributed. */
static void test_migrate_v1(void **state)
{
  struct fx *f = *state;
  static const char v1[] =
      "{\"version\":1,\"clocks\":{\"function|eu-west-1|remotion-x|0\":"
      "1700000000},\"last_sweep\":{\"exit_code\":0}}";
  struct state root, back, *a = NULL, *b = NULL;
  struct jbuf err;

  jbuf_init(&err, 4096);
  /* Several accounts: none adopts. */
  state_init(&root);
  write_file(f->path, v1, sizeof(v1) - 1);
  assert_int_equal(state_load(&root, f->path, &err), JAN_OK);
  assert_int_equal(root.n, 1);
  assert_int_equal(state_claim(&root, "111111111111", 0, &a), JAN_OK);
  assert_int_equal(state_claim(&root, "222222222222", 0, &b), JAN_OK);
  assert_int_equal(a->n + b->n, 0);
  assert_int_equal(root.n, 1);
  assert_int_equal(state_save(&root, f->path, &err), JAN_OK);
  state_free(&root);
  /* Written back as version 2, the unattributed clocks kept. */
  state_init(&root);
  assert_int_equal(state_load(&root, f->path, &err), JAN_OK);
  assert_int_equal(root.n, 1);
  assert_int_equal(root.naccounts, 2);
  state_free(&root);

  /* One account: it takes them over, last sweep included. */
  state_init(&root);
  write_file(f->path, v1, sizeof(v1) - 1);
  assert_int_equal(state_load(&root, f->path, &err), JAN_OK);
  assert_int_equal(state_claim(&root, "111111111111", 1, &a), JAN_OK);
  assert_int_equal(state_clock_get(a, "function|eu-west-1|remotion-x|0"),
                   1700000000);
  assert_non_null(a->last_sweep);
  assert_int_equal(root.n, 0);
  assert_null(root.last_sweep);
  assert_int_equal(state_save(&root, f->path, &err), JAN_OK);
  state_init(&back);
  assert_int_equal(state_load(&back, f->path, &err), JAN_OK);
  assert_string_equal(jbuf_str(&err), "");
  assert_int_equal(back.n, 0);
  assert_int_equal(state_clock_get(state_account_get(&back, "111111111111"),
                                   "function|eu-west-1|remotion-x|0"),
                   1700000000);
  state_free(&back);
  state_free(&root);

  /* A file whose last sweep names another account: those clocks were
   * that account's (the [aws] credentials' before an [account] section
   * took their place); Remotion's names are the same in every account,
   * so taking them over would shorten this one's graces. */
  {
    static const char other[] =
        "{\"version\":1,\"clocks\":{\"function|eu-west-1|remotion-x|0\":"
        "1700000000},\"last_sweep\":{\"account\":\"999999999999\"}}";
    state_init(&root);
    write_file(f->path, other, sizeof(other) - 1);
    assert_int_equal(state_load(&root, f->path, &err), JAN_OK);
    assert_int_equal(state_claim(&root, "111111111111", 1, &a), JAN_OK);
    assert_int_equal(state_clock_get(a, "function|eu-west-1|remotion-x|0"),
                     -1);
    assert_int_equal(root.n, 1);
    state_free(&root);
    /* Its own account takes them over. */
    state_init(&root);
    assert_int_equal(state_load(&root, f->path, &err), JAN_OK);
    assert_int_equal(state_claim(&root, "999999999999", 1, &a), JAN_OK);
    assert_int_equal(state_clock_get(a, "function|eu-west-1|remotion-x|0"),
                     1700000000);
    state_free(&root);
  }

  /* An account that has clocks already keeps its own. */
  state_init(&root);
  assert_int_equal(state_clock_set(&root, "k|r|n|0", 5), JAN_OK);
  assert_int_equal(state_claim(&root, "111111111111", 0, &a), JAN_OK);
  assert_int_equal(state_clock_set(a, "k|r|n|0", 9), JAN_OK);
  a = NULL;
  root.accounts[0]->claimed = 0;
  assert_int_equal(state_claim(&root, "111111111111", 1, &a), JAN_OK);
  assert_int_equal(state_clock_get(a, "k|r|n|0"), 9);
  assert_int_equal(state_clock_get(&root, "k|r|n|0"), 5);
  state_free(&root);
  jbuf_free(&err);
}

static void test_load_missing(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf warn;
  char p[256];

  state_init(&st);
  jbuf_init(&warn, 4096);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_int_equal(st.n, 0);
  assert_null(st.last_sweep);
  assert_string_equal(jbuf_str(&warn), "");
  snprintf(p, sizeof(p), "%s/nodir/state.json", f->dir);
  assert_int_equal(state_load(&st, p, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(count_entries(f->dir), 0);
  jbuf_free(&warn);
}

/* ---- Corrupt files ---- */

/* Load a corrupt file: empty, warned, and the file kept aside intact. */
static void expect_corrupt(struct fx *f, const char *label, const void *data,
                           size_t len)
{
  struct state st;
  struct jbuf warn;
  char aside[512], *kept;
  size_t klen;

  print_message("corrupt: %s\n", label);
  write_file(f->path, data, len);
  state_init(&st);
  jbuf_init(&warn, 4096);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_int_equal(st.n, 0);
  assert_null(st.ck);
  assert_null(st.last_sweep);
  assert_non_null(strstr(jbuf_str(&warn), f->path));
  assert_non_null(strstr(jbuf_str(&warn), "kept as"));
  assert_non_null(strstr(jbuf_str(&warn), "starting empty"));
  assert_int_equal(access(f->path, F_OK), -1);
  assert_int_equal(count_prefix(f->dir, "state.json.corrupt-", aside,
                                sizeof(aside)), 1);
  assert_non_null(strstr(jbuf_str(&warn), aside));
  kept = read_file(aside, &klen);
  assert_non_null(kept);
  assert_int_equal(klen, len);
  assert_memory_equal(kept, data, len);
  free(kept);
  remove_prefix(f->dir, "state.json.corrupt-");
  assert_int_equal(count_entries(f->dir), 0);
  state_free(&st);
  jbuf_free(&warn);
}

#define CASE(label, s) { label, s, sizeof(s) - 1 }

static void test_load_corrupt(void **state)
{
  static const struct {
    const char *label;
    const char *data;
    size_t len;
  } cases[] = {
    CASE("0-byte file", ""),
    CASE("garbage", "\xff\xfe\x13 garbage \x80\x01"),
    CASE("a NUL byte", "{\"version\":1,\"clocks\":{}}\0"),
    CASE("not JSON", "hello"),
    CASE("truncated", "{\"version\":1,\"clocks\":{\"function|r|n|0\":17000"),
    CASE("truncated in a string", "{\"version\":1,\"clocks\":{\"functi"),
    CASE("trailing data", "{\"version\":1,\"clocks\":{}} x"),
    CASE("two objects", "{\"version\":1,\"clocks\":{}}{}"),
    CASE("trailing comma", "{\"version\":1,\"clocks\":{\"a\":1,}}"),
    CASE("top-level array", "[1,2,3]"),
    CASE("top-level string", "\"state\""),
    CASE("no version", "{\"clocks\":{}}"),
    CASE("version 3", "{\"version\":3,\"clocks\":{},\"accounts\":{}}"),
    CASE("version 2 without accounts", "{\"version\":2,\"clocks\":{}}"),
    CASE("accounts an array", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":[]}"),
    CASE("account id short", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"12345\":{\"clocks\":{}}}}"),
    CASE("account id not digits", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"12345678901x\":{\"clocks\":{}}}}"),
    CASE("account not an object", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":5}}"),
    CASE("account without clocks", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{}}}"),
    CASE("account clock out of range", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{\"clocks\":{\"a\":-1}}}}"),
    CASE("first_sweep 0", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{\"clocks\":{},"
         "\"first_sweep\":0}}}"),
    CASE("first_sweep a string", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{\"clocks\":{},"
         "\"first_sweep\":\"1700000000\"}}}"),
    CASE("first_sweep null", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{\"clocks\":{},"
         "\"first_sweep\":null}}}"),
    CASE("first_sweep after 9999", "{\"version\":2,\"clocks\":{},"
         "\"accounts\":{\"123456789012\":{\"clocks\":{},"
         "\"first_sweep\":253402300800}}}"),
        CASE("version as a string", "{\"version\":\"1\",\"clocks\":{}}"),
    CASE("version as a double", "{\"version\":1.0,\"clocks\":{}}"),
    CASE("no clocks", "{\"version\":1}"),
    CASE("clocks an array", "{\"version\":1,\"clocks\":[]}"),
    CASE("clocks null", "{\"version\":1,\"clocks\":null}"),
    CASE("clock a string", "{\"version\":1,\"clocks\":{\"a\":\"1700\"}}"),
    CASE("clock a double", "{\"version\":1,\"clocks\":{\"a\":1.5}}"),
    CASE("clock null", "{\"version\":1,\"clocks\":{\"a\":null}}"),
    CASE("clock an object", "{\"version\":1,\"clocks\":{\"a\":{}}}"),
    CASE("clock negative", "{\"version\":1,\"clocks\":{\"a\":-5}}"),
    CASE("clock after 9999", "{\"version\":1,\"clocks\":{\"a\":"
         "253402300800}}"),
    CASE("clock int64 max", "{\"version\":1,\"clocks\":{\"a\":"
         "9223372036854775807}}"),
    CASE("clock uint64 max", "{\"version\":1,\"clocks\":{\"a\":"
         "18446744073709551615}}"),
    CASE("clock 30 digits", "{\"version\":1,\"clocks\":{\"a\":"
         "123456789012345678901234567890}}"),
    CASE("clock -30 digits", "{\"version\":1,\"clocks\":{\"a\":"
         "-123456789012345678901234567890}}"),
    CASE("clock 1e400", "{\"version\":1,\"clocks\":{\"a\":1e400}}"),
    CASE("clock NaN", "{\"version\":1,\"clocks\":{\"a\":NaN}}"),
    CASE("empty key", "{\"version\":1,\"clocks\":{\"\":5}}"),
    CASE("last_sweep a number", "{\"version\":1,\"clocks\":{},"
         "\"last_sweep\":5}"),
    CASE("last_sweep an array", "{\"version\":1,\"clocks\":{},"
         "\"last_sweep\":[]}"),
    CASE("good clocks, then one bad", "{\"version\":1,\"clocks\":{\"a\":1,"
         "\"b\":2,\"c\":\"x\"}}"),
    /* The streaming reader: a repeat of a member is never half-read. */
    CASE("clocks twice", "{\"version\":1,\"clocks\":{\"a\":1},"
         "\"clocks\":{}}"),
    CASE("version twice", "{\"version\":1,\"version\":2,\"clocks\":{}}"),
    CASE("account twice", "{\"version\":2,\"clocks\":{},\"accounts\":{"
         "\"123456789012\":{\"clocks\":{}},\"123456789012\":"
         "{\"clocks\":{}}}}"),
    CASE("last_sweep twice", "{\"version\":1,\"clocks\":{},"
         "\"last_sweep\":{},\"last_sweep\":{}}"),
    CASE("clock key with \\u0000", "{\"version\":1,\"clocks\":"
         "{\"a\\u0000b\":1}}"),
    CASE("lone high surrogate", "{\"version\":1,\"clocks\":"
         "{\"a\\ud800\":1}}"),
    CASE("lone low surrogate", "{\"version\":1,\"clocks\":"
         "{\"a\\udc41\":1}}"),
    CASE("bad escape", "{\"version\":1,\"clocks\":{\"a\\x41\":1}}"),
    CASE("raw newline in a key", "{\"version\":1,\"clocks\":{\"a\nb\":1}}"),
    CASE("leading zero", "{\"version\":1,\"clocks\":{\"a\":017}}"),
    CASE("missing colon", "{\"version\":1,\"clocks\":{\"a\" 1}}"),
    CASE("unquoted key", "{\"version\":1,\"clocks\":{a:1}}"),
    CASE("single quotes", "{\"version\":1,\"clocks\":{'a':1}}"),
    CASE("a comment", "{\"version\":1,/* x */\"clocks\":{}}"),
    CASE("truncated in last_sweep", "{\"version\":1,\"clocks\":{},"
         "\"last_sweep\":{\"a\":[1,"),
    CASE("bad value ignored key", "{\"version\":1,\"clocks\":{},"
         "\"x\":[1,2,}"),
    CASE("an array", "[1,2]"),
    CASE("only white space", " \n"),
  };
  struct fx *f = *state;
  char *deep;
  size_t n = 0;

  for(size_t i = 0; i < JAN_ARRAY_SIZE(cases); i++)
    expect_corrupt(f, cases[i].label, cases[i].data, cases[i].len);

  /* Nesting far deeper than any parser stack should take. */
  deep = malloc(300000);
  assert_non_null(deep);
  n += (size_t)sprintf(deep, "{\"version\":1,\"clocks\":{},\"x\":");
  for(int i = 0; i < 100000; i++)
    deep[n++] = '[';
  for(int i = 0; i < 100000; i++)
    deep[n++] = ']';
  deep[n++] = '}';
  expect_corrupt(f, "deep nesting", deep, n);
  free(deep);

  /* A clock key past JAN_STATE_KEY_MAX: refused, not cut. */
  deep = malloc(2 * JAN_STATE_KEY_MAX + 100);
  assert_non_null(deep);
  n = (size_t)sprintf(deep, "{\"version\":1,\"clocks\":{\"");
  memset(deep + n, 'k', JAN_STATE_KEY_MAX + 1);
  n += JAN_STATE_KEY_MAX + 1;
  n += (size_t)sprintf(deep + n, "\":1}}");
  expect_corrupt(f, "huge clock key", deep, n);
  free(deep);
}

/* Keys are exact bytes: escapes, UTF-8, bytes that are not UTF-8, all
 * come back the same through a save and a load; \u escapes and surrogate
 * pairs of a hand-written file are read as UTF-8. */
static void test_key_bytes(void **state)
{
  struct fx *f = *state;
  static const char *const keys[] = {
    "a\"b\\c/d", "tab\there\nnl\rcr\bbs\fff\x01\x1f", "\xc3\xa9t\xc3\xa9",
    "\xff\xfe not utf-8 \x80", "\xf0\x9f\x98\x80 emoji", "\x7f del",
  };
  static const char text[] =
      "{\"version\":1,\"clocks\":{\"\\u00e9\\ud83d\\ude00\\/\\u0041\":7}}";
  static const char old[] =
      "{\"version\":1,\"clocks\":{\"\xff\xfe not utf-8 \x80\":9}}";
  struct state st, st2;
  char *saved;
  size_t len;
  struct jbuf err, warn;

  state_init(&st);
  state_init(&st2);
  jbuf_init(&err, 4096);
  jbuf_init(&warn, 4096);
  for(size_t i = 0; i < JAN_ARRAY_SIZE(keys); i++)
    assert_int_equal(state_clock_set(&st, keys[i], (int64_t)i), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  /* The file is valid UTF-8: a byte that is not part of it as \udcXX. */
  saved = read_file(f->path, &len);
  assert_non_null(saved);
  assert_int_equal(untrusted_utf8_span(saved, len), len);
  assert_non_null(strstr(saved, "\\udcff\\udcfe not utf-8 \\udc80"));
  free(saved);
  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(st2.n, JAN_ARRAY_SIZE(keys));
  for(size_t i = 0; i < JAN_ARRAY_SIZE(keys); i++)
    assert_int_equal(state_clock_get(&st2, keys[i]), (int64_t)i);
  state_free(&st2);
  write_file(f->path, text, sizeof(text) - 1);
  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(state_clock_get(&st2, "\xc3\xa9\xf0\x9f\x98\x80/A"), 7);
  state_free(&st2);
  /* A file of the earlier writer (json-c's): such bytes raw. */
  write_file(f->path, old, sizeof(old) - 1);
  assert_int_equal(state_load(&st2, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(state_clock_get(&st2, "\xff\xfe not utf-8 \x80"), 9);
  state_free(&st2);
  state_free(&st);
  jbuf_free(&err);
  jbuf_free(&warn);
}

/*
 * A sweep sets the clocks it sees in the account's table and settles it at
 * its end: what it set (or carried) stays with its value, what it did not
 * goes, new keys come in anywhere in the order; a load marks nothing.  The
 * table of 20,000 render clocks costs at most 16 bytes a clock (their keys
 * are 33 bytes).
 */
static void test_settle(void **state)
{
  struct fx *f = *state;
  struct state st, back;
  struct jbuf warn;
  char key[64];
  (void)state;

  state_init(&st);
  jbuf_init(&warn, 4096);
  for(int i = 0; i < 20000; i++) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%08d|0", i);
    assert_int_equal(state_clock_set(&st, key, 1000 + i), JAN_OK);
  }
  assert_true(state_clocks_bytes(&st) <= 16u * 20000);
  /* The first settle: all were set, all stay, marks gone. */
  state_clocks_settle(&st);
  assert_int_equal(st.n, 20000);
  assert_clocks_sane(&st);
  /* The next sweep: the even ones seen again (half at a new value), one
   * new key before them all and one among them; the odd ones not seen. */
  for(int i = 0; i < 20000; i += 2) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%08d|0", i);
    assert_int_equal(state_clock_set(&st, key, i % 4 ? 1000 + i : 7),
                     JAN_OK);
  }
  assert_int_equal(state_clock_set(&st, "aaa|r|n|0", 9), JAN_OK);
  assert_int_equal(state_clock_set(&st, "render|eu-west-1|b/00000100x|0",
                                   11), JAN_OK);
  assert_int_equal(st.n, 20002);
  assert_clocks_sane(&st);
  state_clocks_settle(&st);
  assert_int_equal(st.n, 10002);
  assert_clocks_sane(&st);
  assert_int_equal(state_clock_get(&st, "aaa|r|n|0"), 9);
  assert_int_equal(state_clock_get(&st, "render|eu-west-1|b/00000100x|0"),
                   11);
  for(int i = 0; i < 20000; i++) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%08d|0", i);
    assert_int_equal(state_clock_get(&st, key),
                     i % 2 ? -1 : i % 4 ? 1000 + i : 7);
  }
  /* Saved and loaded: the same clocks, none marked, so a settle right
   * after a load (a sweep that saw nothing) drops them all. */
  assert_int_equal(state_save(&st, f->path, &warn), JAN_OK);
  state_init(&back);
  assert_int_equal(state_load(&back, f->path, &warn), JAN_OK);
  assert_string_equal(jbuf_str(&warn), "");
  assert_int_equal(back.n, 10002);
  assert_clocks_sane(&back);
  for(int i = 0; i < 20000; i += 2) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%08d|0", i);
    assert_int_equal(state_clock_get(&back, key), i % 4 ? 1000 + i : 7);
  }
  state_clocks_settle(&back);
  assert_int_equal(back.n, 0);
  assert_int_equal(state_clock_get(&back, "aaa|r|n|0"), -1);
  state_free(&back);
  state_free(&st);
  jbuf_free(&warn);
}

/* Keys in any order and of any length up to the cap, sharing long
 * prefixes or none, replaced and settled: the table stays sorted and
 * finds each at its value (checked against a plain list). */
static void test_clocks_random(void **state)
{
  enum { N = 3000 };
  static char keys[N][300];
  static int64_t want[N];
  static int seen[N];
  struct state st;
  char *big;
  (void)state;

  state_init(&st);
  for(int i = 0; i < N; i++) {
    unsigned r = rnd();
    int len = r % 7 == 0 ? 1 + (int)(rnd() % 290) : 20 + (int)(r % 40);
    for(int k = 0; k < len; k++)
      keys[i][k] = (char)(r % 3 ? 'a' + (rnd() % 3) : 1 + (rnd() % 255));
    keys[i][len] = '\0';
    want[i] = -1;
  }
  for(int round = 0; round < 3; round++) {
    for(int i = 0; i < N; i++)
      seen[i] = 0;
    for(int j = 0; j < N; j++) {
      int i = (int)(rnd() % N);
      int64_t v = (int64_t)(rnd() % 80000) * 3000000;
      if(rnd() % 3 == 0)
        continue;
      assert_int_equal(state_clock_set(&st, keys[i], v), JAN_OK);
      /* A key drawn twice is one clock: the last value. */
      for(int k = 0; k < N; k++)
        if(!strcmp(keys[k], keys[i])) {
          want[k] = v;
          seen[k] = 1;
        }
    }
    state_clocks_settle(&st);
    for(int i = 0; i < N; i++) {
      if(!seen[i])
        want[i] = -1;
      assert_int_equal(state_clock_get(&st, keys[i]), want[i]);
    }
    assert_clocks_sane(&st);
  }
  /* The longest key there can be, and one byte over. */
  big = malloc(JAN_STATE_KEY_MAX + 2);
  assert_non_null(big);
  memset(big, 'k', JAN_STATE_KEY_MAX + 1);
  big[JAN_STATE_KEY_MAX] = '\0';
  assert_int_equal(state_clock_set(&st, big, 5), JAN_OK);
  assert_int_equal(state_clock_get(&st, big), 5);
  big[JAN_STATE_KEY_MAX] = 'k';
  big[JAN_STATE_KEY_MAX + 1] = '\0';
  assert_int_equal(state_clock_set(&st, big, 5), JAN_EINVAL);
  assert_int_equal(state_clock_get(&st, big), -1);
  assert_clocks_sane(&st);
  free(big);
  state_free(&st);
}

/* A sweep's pattern: in key order, each clock read then set (mostly to
 * the value read, some to a new one), new keys set between them, some not
 * seen; every clock read is the one set last, and a settle keeps exactly
 * what was set. */
static void test_clocks_sweep_order(void **state)
{
  enum { N = 5000 };
  struct state st;
  char key[64];
  (void)state;

  state_init(&st);
  for(int i = 0; i < N; i++) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%06d|0", 2 * i);
    assert_int_equal(state_clock_set(&st, key, 1000 + i), JAN_OK);
  }
  state_clocks_settle(&st);
  for(int i = 0; i < N; i++) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%06d|0", 2 * i);
    assert_int_equal(state_clock_get(&st, key), 1000 + i);
    if(i % 7 == 3)
      continue;                 /* not seen: goes */
    assert_int_equal(state_clock_set(&st, key, i % 5 ? 1000 + i : 5),
                     JAN_OK);
    assert_int_equal(state_clock_get(&st, key), i % 5 ? 1000 + i : 5);
    if(i % 3 == 0) {
      snprintf(key, sizeof(key), "render|eu-west-1|b/%06d|0", 2 * i + 1);
      assert_int_equal(state_clock_get(&st, key), -1);
      assert_int_equal(state_clock_set(&st, key, 9), JAN_OK);
    }
  }
  state_clocks_settle(&st);
  assert_clocks_sane(&st);
  for(int i = 0; i < N; i++) {
    snprintf(key, sizeof(key), "render|eu-west-1|b/%06d|0", 2 * i);
    assert_int_equal(state_clock_get(&st, key),
                     i % 7 == 3 ? -1 : i % 5 ? 1000 + i : 5);
    snprintf(key, sizeof(key), "render|eu-west-1|b/%06d|0", 2 * i + 1);
    assert_int_equal(state_clock_get(&st, key),
                     i % 7 != 3 && i % 3 == 0 ? 9 : -1);
  }
  state_free(&st);
}

/* Over the cap: a sparse file, refused by its size, never read. */
static void test_load_too_big(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf warn;
  struct stat sb;
  char aside[512];
  int fd;

  state_init(&st);
  jbuf_init(&warn, 4096);
  fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"version\":1,\"clocks\":{}}", 25), 25);
  assert_int_equal(ftruncate(fd, (off_t)STATE_MAX_BYTES + 1), 0);
  close(fd);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_int_equal(st.n, 0);
  assert_non_null(strstr(jbuf_str(&warn), f->path));
  assert_non_null(strstr(jbuf_str(&warn), "larger than"));
  assert_int_equal(count_prefix(f->dir, "state.json.corrupt-", aside,
                                sizeof(aside)), 1);
  assert_int_equal(stat(aside, &sb), 0);
  assert_int_equal(sb.st_size, (off_t)STATE_MAX_BYTES + 1);
  state_free(&st);
  jbuf_free(&warn);
}

/* Two corrupt files within one second: the first is not overwritten. */
static void test_load_corrupt_twice(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf warn;

  state_init(&st);
  jbuf_init(&warn, 4096);
  for(int i = 0; i < 3; i++) {
    write_file(f->path, "x", 1);
    assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  }
  assert_int_equal(count_prefix(f->dir, "state.json.corrupt-", NULL, 0), 3);
  assert_int_equal(count_entries(f->dir), 3);
  /* One warning line each. */
  assert_non_null(strchr(jbuf_str(&warn), '\n'));
  jbuf_free(&warn);
}

/* A directory or a FIFO where the file should be: no hang, kept aside. */
static void test_load_not_regular(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf warn;

  state_init(&st);
  jbuf_init(&warn, 4096);
  assert_int_equal(mkfifo(f->path, 0600), 0);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_non_null(strstr(jbuf_str(&warn), "not a regular file"));
  assert_int_equal(access(f->path, F_OK), -1);
  remove_prefix(f->dir, "state.json.corrupt-");
  jbuf_reset(&warn);
  assert_int_equal(mkdir(f->path, 0700), 0);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
  assert_non_null(strstr(jbuf_str(&warn), "not a regular file"));
  assert_int_equal(access(f->path, F_OK), -1);
  assert_int_equal(count_prefix(f->dir, "state.json.corrupt-", NULL, 0), 1);
  assert_int_equal(st.n, 0);
  jbuf_free(&warn);
}

/* Random damage to a good file: a load never fails nor crashes, and what
   it returns is always consistent. */
static void test_load_mutations(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf err, warn;
  char *good, *bad;
  size_t len, loaded = 0;

  state_init(&st);
  jbuf_init(&err, 4096);
  jbuf_init(&warn, 1 << 20);
  assert_int_equal(state_clock_set(&st, "function|eu-west-1|a|0", 1700000000),
                   JAN_OK);
  assert_int_equal(state_clock_set(&st, "layer_version|us-east-1|l|3", 17),
                   JAN_OK);
  assert_int_equal(state_clock_set(&st, "bucket|us-east-1|b|0", 99), JAN_OK);
  state_set_last_sweep(&st, json_tokener_parse("{\"n\":[1,2,{\"x\":null}]}"));
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  state_free(&st);
  good = read_file(f->path, &len);
  assert_non_null(good);
  bad = malloc(len + 16);
  assert_non_null(bad);
  for(int i = 0; i < 3000; i++) {
    size_t n = len;
    memcpy(bad, good, len);
    switch(rnd() % 4) {
    case 0:
      n = rnd() % len;                          /* truncate */
      break;
    case 1:
      bad[rnd() % len] = (char)(rnd() & 0xff);  /* one byte */
      break;
    case 2:
      for(int k = 0; k < 4; k++)
        bad[rnd() % len] = "{}[]\",:-0e9\\ "[rnd() % 13];
      break;
    default:
      bad[rnd() % len] ^= (char)(1 << (rnd() % 8));
      break;
    }
    write_file(f->path, bad, n);
    jbuf_reset(&warn);
    assert_int_equal(state_load(&st, f->path, &warn), JAN_OK);
    if(warn.len) {
      assert_int_equal(st.n, 0);
      assert_null(st.last_sweep);
      assert_int_equal(access(f->path, F_OK), -1);
    }
    else
      loaded++;
    assert_clocks_sane(&st);
    state_free(&st);
    remove_prefix(f->dir, "state.json.corrupt-");
  }
  print_message("%zu of 3000 damaged files still loaded\n", loaded);
  free(good);
  free(bad);
  jbuf_free(&err);
  jbuf_free(&warn);
}

/* ---- Symbolic links and the directory ---- */

static void test_load_symlink(void **state)
{
  struct fx *f = *state;
  static const char text[] = "{\"version\":1,\"clocks\":{\"a\":1}}";
  char target[256], *content;
  struct state st;
  struct jbuf warn;
  struct stat sb;

  state_init(&st);
  jbuf_init(&warn, 4096);
  snprintf(target, sizeof(target), "%s/target.json", f->dir);
  write_file(target, text, sizeof(text) - 1);
  assert_int_equal(symlink(target, f->path), 0);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_EIO);
  assert_int_equal(st.n, 0);
  assert_non_null(strstr(jbuf_str(&warn), f->path));
  assert_non_null(strstr(jbuf_str(&warn), "symbolic link"));
  /* Neither the link nor its target moved or changed. */
  assert_int_equal(lstat(f->path, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  content = read_file(target, NULL);
  assert_non_null(content);
  assert_string_equal(content, text);
  free(content);
  assert_int_equal(count_prefix(f->dir, "state.json.corrupt-", NULL, 0), 0);
  assert_int_equal(count_entries(f->dir), 2);

  /* A dangling link is refused just the same. */
  assert_int_equal(unlink(target), 0);
  jbuf_reset(&warn);
  assert_int_equal(state_load(&st, f->path, &warn), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&warn), "symbolic link"));
  assert_int_equal(lstat(f->path, &sb), 0);
  jbuf_free(&warn);
}

static void test_save_atomic(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf err;
  struct json_object *o, *clocks, *v;
  struct stat sb1, sb2;
  char *text;
  size_t len;

  state_init(&st);
  jbuf_init(&err, 4096);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 1), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  assert_int_equal(stat(f->path, &sb1), 0);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 2), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  assert_int_equal(stat(f->path, &sb2), 0);
  /* Replaced by a rename, never rewritten in place. */
  assert_true(sb1.st_ino != sb2.st_ino);
  assert_int_equal(count_entries(f->dir), 1);

  text = read_file(f->path, &len);
  assert_non_null(text);
  assert_true(len > 0 && text[len - 1] == '\n');
  o = parse_strict(text, len);
  assert_non_null(o);
  assert_true(json_object_object_get_ex(o, "version", &v));
  assert_int_equal(json_object_get_int64(v), 2);
  assert_true(json_object_object_get_ex(o, "clocks", &clocks));
  assert_true(json_object_object_get_ex(clocks, "k|r|n|0", &v));
  assert_int_equal(json_object_get_int64(v), 2);
  assert_false(json_object_object_get_ex(o, "last_sweep", &v));
  json_object_put(o);
  free(text);

  /* A leftover temporary with our pid (a killed process that had it). */
  {
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", f->path, (long)getpid());
    write_file(tmp, "junk", 4);
    assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(count_entries(f->dir), 1);
  }
  state_free(&st);
  jbuf_free(&err);
}

/* A failure after the temporary exists: reported, temporary removed. */
static void test_save_failure(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf err;
  char p[256];

  state_init(&st);
  jbuf_init(&err, 4096);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 1), JAN_OK);
  /* rename() of a file over a directory fails. */
  assert_int_equal(mkdir(f->path, 0700), 0);
  assert_int_equal(state_save(&st, f->path, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), f->path));
  assert_int_equal(count_prefix(f->dir, "state.json.tmp.", NULL, 0), 0);
  assert_int_equal(count_entries(f->dir), 1);
  /* No directory. */
  jbuf_reset(&err);
  snprintf(p, sizeof(p), "%s/nodir/state.json", f->dir);
  assert_int_equal(state_save(&st, p, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "nodir"));
  state_free(&st);
  jbuf_free(&err);
}

static void test_world_writable_dir(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf err;
  struct audit a;
  char *before, *after;
  long holder;

  state_init(&st);
  jbuf_init(&err, 4096);
  audit_init(&a);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 1), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_OK);
  before = read_file(f->path, NULL);
  assert_non_null(before);

  assert_int_equal(chmod(f->dir, 0777), 0);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 2), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));
  after = read_file(f->path, NULL);
  assert_non_null(after);
  assert_string_equal(before, after);
  assert_int_equal(count_entries(f->dir), 1);
  state_free(&st);

  jbuf_reset(&err);
  assert_int_equal(state_load(&st, f->path, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));
  assert_int_equal(st.n, 0);
  jbuf_reset(&err);
  assert_int_equal(state_lock(f->path, 0, &holder, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));
  jbuf_reset(&err);
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));
  assert_int_equal(a.fd, -1);
  assert_int_equal(count_entries(f->dir), 1);
  jbuf_reset(&err);
  assert_int_equal(fsafe_check_dir(f->dir, 0, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));

  /* Made safe again, all is accepted. */
  assert_int_equal(chmod(f->dir, 0750), 0);
  assert_int_equal(state_load(&st, f->path, &err), JAN_OK);
  assert_int_equal(state_clock_get(&st, "k|r|n|0"), 1);
  state_free(&st);
  free(before);
  free(after);
  jbuf_free(&err);
}

static void test_save_symlink(void **state)
{
  struct fx *f = *state;
  struct state st;
  struct jbuf err;
  struct stat sb;
  char target[256], *content;

  state_init(&st);
  jbuf_init(&err, 4096);
  snprintf(target, sizeof(target), "%s/precious", f->dir);
  write_file(target, "precious", 8);
  assert_int_equal(symlink(target, f->path), 0);
  assert_int_equal(state_clock_set(&st, "k|r|n|0", 1), JAN_OK);
  assert_int_equal(state_save(&st, f->path, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "symbolic link"));
  assert_int_equal(lstat(f->path, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  content = read_file(target, NULL);
  assert_non_null(content);
  assert_string_equal(content, "precious");
  free(content);
  assert_int_equal(count_entries(f->dir), 2);
  state_free(&st);
  jbuf_free(&err);
}

static void test_check_dir(void **state)
{
  struct fx *f = *state;
  struct jbuf err;
  struct stat sb;
  char d[256], p[256];

  jbuf_init(&err, 4096);
  snprintf(d, sizeof(d), "%s/lib", f->dir);
  assert_int_equal(fsafe_check_dir(d, 0, &err), JAN_EIO);   /* missing */
  assert_non_null(strstr(jbuf_str(&err), d));
  assert_int_equal(fsafe_check_dir(d, 1, &err), JAN_OK);    /* created */
  assert_int_equal(lstat(d, &sb), 0);
  assert_true(S_ISDIR(sb.st_mode));
  assert_int_equal(sb.st_mode & 0027, 0);
  assert_int_equal(fsafe_check_dir(d, 0, &err), JAN_OK);
  assert_int_equal(fsafe_check_dir(d, 1, &err), JAN_OK);

  /* A missing parent is a wrong path, not something to create. */
  jbuf_reset(&err);
  snprintf(p, sizeof(p), "%s/a/b", f->dir);
  assert_int_equal(fsafe_check_dir(p, 1, &err), JAN_EIO);
  assert_int_equal(count_entries(f->dir), 1);

  jbuf_reset(&err);
  snprintf(p, sizeof(p), "%s/file", f->dir);
  write_file(p, "x", 1);
  assert_int_equal(fsafe_check_dir(p, 1, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "not a directory"));

  jbuf_reset(&err);
  snprintf(p, sizeof(p), "%s/link", f->dir);
  assert_int_equal(symlink(d, p), 0);
  assert_int_equal(fsafe_check_dir(p, 1, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "symbolic link"));
  jbuf_reset(&err);
  snprintf(p, sizeof(p), "%s/link/", f->dir);
  assert_int_equal(fsafe_check_dir(p, 1, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "symbolic link"));

  jbuf_reset(&err);
  assert_int_equal(chmod(d, 0757), 0);
  assert_int_equal(fsafe_check_dir(d, 1, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "world-writable"));
  assert_int_equal(chmod(d, 01777), 0);
  assert_int_equal(fsafe_check_dir(d, 1, &err), JAN_EIO);
  jbuf_free(&err);
}

/* ---- The lock ---- */

/*
 * A child that takes the lock, says 'L' (or 'E' on failure) on ready, then
 * waits for a byte on go: then it waits 50 ms and lets go of the lock.
 */
static pid_t lock_child(struct fx *f, int ready, int go)
{
  pid_t pid = spawn(f);
  if(pid == 0) {
    int fd = state_lock(f->path, 0, NULL, NULL);
    char c = fd >= 0 ? 'L' : 'E';
    if(write(ready, &c, 1) != 1)
      _exit(2);
    if(fd < 0)
      _exit(1);
    if(read(go, &c, 1) != 1)
      _exit(3);
    usleep(50000);
    state_unlock(fd);
    _exit(0);
  }
  return pid;
}

static void wait_ready(int ready)
{
  char c = 0;
  assert_int_equal(read(ready, &c, 1), 1);
  assert_int_equal(c, 'L');
}

static void test_lock_busy_then_free(void **state)
{
  struct fx *f = *state;
  int ready[2], go[2], fd, status;
  struct jbuf err;
  long holder = 0;
  int64_t t0, dt;
  char lockp[256], *content, want[32];
  pid_t child;

  jbuf_init(&err, 4096);
  make_pipe(f, ready);
  make_pipe(f, go);
  child = lock_child(f, ready[1], go[0]);
  wait_ready(ready[0]);

  assert_int_equal(state_lock(f->path, 0, &holder, &err), JAN_EBUSY);
  assert_int_equal(holder, (long)child);
  snprintf(want, sizeof(want), "%ld", (long)child);
  assert_non_null(strstr(jbuf_str(&err), want));

  /* The holder lets go 50 ms after this; a 200 ms wait gets the lock. */
  t0 = ms_now();
  assert_int_equal(write(go[1], "g", 1), 1);
  jbuf_reset(&err);
  fd = state_lock(f->path, 200, &holder, &err);
  dt = ms_now() - t0;
  assert_true(fd >= 0);
  assert_true(dt >= 40);
  assert_true(dt < 1000);
  snprintf(lockp, sizeof(lockp), "%s.lock", f->path);
  content = read_file(lockp, NULL);
  assert_non_null(content);
  snprintf(want, sizeof(want), "%ld\n", (long)getpid());
  assert_string_equal(content, want);
  free(content);
  state_unlock(fd);
  status = reap(f, child);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  jbuf_free(&err);
}

static void test_lock_wait_times_out(void **state)
{
  struct fx *f = *state;
  int ready[2], go[2], status;
  long holder = 0;
  int64_t t0, dt;
  pid_t child;

  make_pipe(f, ready);
  make_pipe(f, go);
  child = lock_child(f, ready[1], go[0]);
  wait_ready(ready[0]);
  t0 = ms_now();
  assert_int_equal(state_lock(f->path, 150, &holder, NULL), JAN_EBUSY);
  dt = ms_now() - t0;
  assert_true(dt >= 150);
  assert_true(dt < 1000);
  assert_int_equal(holder, (long)child);
  assert_int_equal(write(go[1], "g", 1), 1);
  status = reap(f, child);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_lock_kill9(void **state)
{
  struct fx *f = *state;
  int ready[2], go[2], fd, status;
  long holder = 0;
  pid_t child;

  make_pipe(f, ready);
  make_pipe(f, go);
  child = lock_child(f, ready[1], go[0]);
  wait_ready(ready[0]);
  assert_int_equal(state_lock(f->path, 0, &holder, NULL), JAN_EBUSY);
  assert_int_equal(holder, (long)child);
  assert_int_equal(kill(child, SIGKILL), 0);
  status = reap(f, child);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  fd = state_lock(f->path, 0, &holder, NULL);
  assert_true(fd >= 0);
  state_unlock(fd);
}

/* flock() is per open file: a second lock in one process is refused. */
static void test_lock_same_process(void **state)
{
  struct fx *f = *state;
  long holder = 0;
  int fd, fd2;

  fd = state_lock(f->path, 0, NULL, NULL);
  assert_true(fd >= 0);
  assert_int_equal(state_lock(f->path, 0, &holder, NULL), JAN_EBUSY);
  assert_int_equal(holder, (long)getpid());
  state_unlock(fd);
  fd2 = state_lock(f->path, 0, &holder, NULL);
  assert_true(fd2 >= 0);
  state_unlock(fd2);
}

static void test_lock_symlink(void **state)
{
  struct fx *f = *state;
  struct jbuf err;
  struct stat sb;
  char lockp[256], target[256], *content;

  jbuf_init(&err, 4096);
  snprintf(lockp, sizeof(lockp), "%s.lock", f->path);
  snprintf(target, sizeof(target), "%s/precious", f->dir);
  write_file(target, "precious", 8);
  assert_int_equal(symlink(target, lockp), 0);
  assert_int_equal(state_lock(f->path, 0, NULL, &err), JAN_EIO);
  assert_non_null(strstr(jbuf_str(&err), "symbolic link"));
  content = read_file(target, NULL);
  assert_non_null(content);
  assert_string_equal(content, "precious");
  free(content);
  /* A dangling link does not create its target. */
  assert_int_equal(unlink(target), 0);
  assert_int_equal(state_lock(f->path, 0, NULL, &err), JAN_EIO);
  assert_int_equal(lstat(target, &sb), -1);
  jbuf_free(&err);
}

/* ---- The audit log ---- */

/* Split a file into lines; each must parse as a JSON object. */
static size_t audit_lines(const char *path, struct json_object **out,
                          size_t max)
{
  char *text, *p, *nl;
  size_t len, n = 0;

  text = read_file(path, &len);
  assert_non_null(text);
  assert_true(len > 0 && text[len - 1] == '\n');
  for(p = text; (nl = strchr(p, '\n')); p = nl + 1) {
    struct json_object *o = parse_strict(p, (size_t)(nl - p));
    assert_non_null(o);
    assert_true(json_object_is_type(o, json_type_object));
    assert_true(n < max);
    out[n++] = o;
  }
  free(text);
  return n;
}

/* The keys of o, in order, joined with ','. */
static void keys_of(struct json_object *o, char *buf, size_t size)
{
  struct json_object_iterator it = json_object_iter_begin(o);
  struct json_object_iterator end = json_object_iter_end(o);
  size_t n = 0;

  buf[0] = '\0';
  for(; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
    n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "",
                          json_object_iter_peek_name(&it));
}

static const char *str_of(struct json_object *o, const char *key)
{
  struct json_object *v;
  assert_true(json_object_object_get_ex(o, key, &v));
  if(!v)
    return NULL;
  assert_true(json_object_is_type(v, json_type_string));
  return json_object_get_string(v);
}

static int64_t int_of(struct json_object *o, const char *key)
{
  struct json_object *v;
  assert_true(json_object_object_get_ex(o, key, &v));
  assert_true(json_object_is_type(v, json_type_int));
  return json_object_get_int64(v);
}

static void test_audit_records(void **state)
{
  struct fx *f = *state;
  struct audit a;
  struct jbuf err;
  struct json_object *l[8];
  struct stat sb;
  char keys[512];
  const struct audit_record fn = {
    1714564800, "123456789012", "eu-west-1", "function",
    "remotion-render-4-0-100-mem2048mb-disk2048mb-120sec", 0, "deleted",
    NULL, NULL, "req-1", -1, NULL, 0
  };
  const struct audit_record lv = {
    1714564801, "123456789012", "us-east-1", "layer_version",
    "remotion-binaries-chromium-arm64", 7, "failed", "User is not allowed",
    "AccessDeniedException", "req-2", -1, NULL, 0
  };
  const struct audit_record bk = {
    1714564802, "123456789012", "eu-central-1", "bucket",
    "remotionlambda-eucentral1-abcdef", 0, "deleted", NULL, NULL, NULL, 2500,
    NULL, 0
  };

  /* Not open: JAN_EIO, and the record is held, not dropped. */
  audit_init(&a);
  assert_int_equal(audit_write(&a, &fn), JAN_EIO);
  assert_int_equal(audit_held(&a), 1);
  assert_int_equal(audit_failing(&a), EBADF);
  audit_close(&a);
  audit_init(&a);
  jbuf_init(&err, 4096);
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_OK);
  assert_int_equal(audit_write(&a, &fn), JAN_OK);
  assert_int_equal(audit_write(&a, &lv), JAN_OK);
  assert_int_equal(audit_write(&a, &bk), JAN_OK);
  audit_close(&a);
  assert_int_equal(a.fd, -1);
  assert_int_equal(lstat(f->audit, &sb), 0);
  assert_int_equal(sb.st_mode & 0137, 0);

  assert_int_equal(audit_lines(f->audit, l, 8), 3);
  keys_of(l[0], keys, sizeof(keys));
  assert_string_equal(keys, "time,account,region,type,name,result,error,"
                      "error_code,request_id");
  assert_string_equal(str_of(l[0], "time"), "2024-05-01T12:00:00Z");
  assert_string_equal(str_of(l[0], "account"), "123456789012");
  assert_string_equal(str_of(l[0], "region"), "eu-west-1");
  assert_string_equal(str_of(l[0], "type"), "function");
  assert_string_equal(str_of(l[0], "name"), fn.name);
  assert_string_equal(str_of(l[0], "result"), "deleted");
  assert_null(str_of(l[0], "error"));
  assert_null(str_of(l[0], "error_code"));
  assert_string_equal(str_of(l[0], "request_id"), "req-1");

  keys_of(l[1], keys, sizeof(keys));
  assert_string_equal(keys, "time,account,region,type,name,version,result,"
                      "error,error_code,request_id");
  assert_string_equal(str_of(l[1], "time"), "2024-05-01T12:00:01Z");
  assert_int_equal(int_of(l[1], "version"), 7);
  assert_string_equal(str_of(l[1], "result"), "failed");
  assert_string_equal(str_of(l[1], "error"), "User is not allowed");
  assert_string_equal(str_of(l[1], "error_code"), "AccessDeniedException");

  keys_of(l[2], keys, sizeof(keys));
  assert_string_equal(keys, "time,account,region,type,name,result,error,"
                      "error_code,request_id,objects");
  assert_null(str_of(l[2], "request_id"));
  assert_int_equal(int_of(l[2], "objects"), 2500);
  for(int i = 0; i < 3; i++)
    json_object_put(l[i]);
  jbuf_free(&err);
}

/* A group of records: one call, every line whole and in order. */
static void test_audit_group_commit(void **state)
{
  struct fx *f = *state;
  struct audit a;
  struct jbuf err;
  struct json_object *l[300];
  struct audit_record r[256];
  char names[256][48];

  audit_init(&a);
  jbuf_init(&err, 4096);
  for(int i = 0; i < 256; i++) {
    snprintf(names[i], sizeof(names[i]), "remotion-render-%03d", i);
    r[i] = (struct audit_record) {
      1714564800 + i, "123456789012", "eu-west-1", "function", names[i], 0,
      i % 5 ? "deleted" : "failed", i % 5 ? NULL : "boom\nline", NULL, NULL,
      -1, NULL, 0
    };
  }
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_OK);
  assert_int_equal(audit_write_many(&a, r, 0), JAN_OK);
  assert_int_equal(audit_write(&a, &r[0]), JAN_OK);
  assert_int_equal(audit_write_many(&a, r + 1, 255), JAN_OK);
  audit_close(&a);
  assert_int_equal(audit_lines(f->audit, l, 300), 256);
  for(int i = 0; i < 256; i++) {
    assert_string_equal(str_of(l[i], "name"), names[i]);
    assert_string_equal(str_of(l[i], "result"),
                        i % 5 ? "deleted" : "failed");
    json_object_put(l[i]);
  }
  jbuf_free(&err);
}

static void test_audit_escaping(void **state)
{
  struct fx *f = *state;
  static const char name[] = "a\"b\nc\\d\te\r\x01/\xc3\xbc}{\n";
  struct audit a;
  struct audit_record r = {
    0, "1", "r", "function", name, 0, "failed",
    "line one\nline two\n\"quoted\"", NULL, NULL, -1, NULL, 0
  };
  struct json_object *l[4];
  char *text, *big;
  size_t len, nl = 0;

  audit_init(&a);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  assert_int_equal(audit_write(&a, &r), JAN_OK);
  /* A huge message is cut, on a character boundary, not refused. */
  big = malloc(20001);
  assert_non_null(big);
  big[0] = 'x';
  for(int i = 1; i < 19999; i += 2)
    memcpy(big + i, "\xc3\xbc", 2);
  big[19999] = '\0';
  r.error = big;
  assert_int_equal(audit_write(&a, &r), JAN_OK);
  audit_close(&a);

  text = read_file(f->audit, &len);
  assert_non_null(text);
  for(size_t i = 0; i < len; i++)
    nl += text[i] == '\n';
  assert_int_equal(nl, 2);
  free(text);
  assert_int_equal(audit_lines(f->audit, l, 4), 2);
  assert_string_equal(str_of(l[0], "name"), name);
  assert_string_equal(str_of(l[0], "error"),
                      "line one\nline two\n\"quoted\"");
  assert_string_equal(str_of(l[0], "time"), "1970-01-01T00:00:00Z");
  /* 4096 bytes would end inside a 2-byte character: 4095. */
  assert_int_equal(strlen(str_of(l[1], "error")), 4095);
  assert_memory_equal(str_of(l[1], "error"), big, 4095);
  json_object_put(l[0]);
  json_object_put(l[1]);
  free(big);
}

/* A field as json-c holds it: cut to 4096 bytes on a character
 * boundary, or null. */
static void ref_add_str(struct json_object *o, const char *key,
                        const char *s)
{
  size_t n;
  if(!s) {
    json_object_object_add(o, key, NULL);
    return;
  }
  n = strlen(s);
  if(n > 4096) {
    n = 4096;
    while(n && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  json_object_object_add(o, key, json_object_new_string_len(s, (int)n));
}

/* The line as json-c prints the record (keys in the documented order),
 * each byte that is not valid UTF-8 as \udcXX: what every audit line was
 * when it was built as a json-c tree. */
static void ref_line(const struct audit_record *r, struct jbuf *out)
{
  struct json_object *o = json_object_new_object();
  char t[21];
  const char *text;

  wire_time_format(r->time, t);
  ref_add_str(o, "time", t);
  ref_add_str(o, "account", r->account);
  ref_add_str(o, "region", r->region);
  ref_add_str(o, "type", r->type);
  ref_add_str(o, "name", r->name);
  if(r->version > 0)
    json_object_object_add(o, "version", json_object_new_int64(r->version));
  ref_add_str(o, "result", r->result);
  ref_add_str(o, "error", r->error);
  ref_add_str(o, "error_code", r->error_code);
  ref_add_str(o, "request_id", r->request_id);
  if(r->objects >= 0)
    json_object_object_add(o, "objects", json_object_new_int64(r->objects));
  if(r->bucket) {
    ref_add_str(o, "bucket", r->bucket);
    json_object_object_add(o, "bytes", json_object_new_int64(
                                           r->bytes >= 0 ? r->bytes : 0));
  }
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE);
  assert_int_equal(untrusted_json_add(out, text, strlen(text)), JAN_OK);
  assert_int_equal(jbuf_addc(out, '\n'), JAN_OK);
  json_object_put(o);
}

/* Every audit line byte for byte as json-c's escaping writes it: quotes,
 * backslashes, controls, DEL, '/', bytes that are not UTF-8, a string cut
 * at 4096 bytes, versions, object counts, a render's bucket and bytes. */
static void test_audit_bytes(void **state)
{
  struct fx *f = *state;
  static const char special[] = "\"\\/\n\r\t\b\f\x01\x1f\x7f\xc3\xa9\xe2\x80"
                                "\xae\xff\xf0\x9f\x98\x80\xc0\xed\xa0\x80";
  char two[2][6][80], *big, *text;
  struct audit_record r[200];
  struct audit a;
  struct jbuf want;
  uint32_t seed = 7;
  size_t len;

  big = malloc(5001);
  assert_non_null(big);
  for(int i = 0; i < 5000; i += 3)
    memcpy(big + i, "\xe2\x82\xac", 3 < 5000 - i ? 3 : (size_t)(5000 - i));
  big[5000] = '\0';
  jbuf_init(&want, 1u << 20);
  audit_init(&a);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  for(size_t k = 0; k < 200; k++) {
    char (*str)[80] = two[k % 2];      /* records k - 1 and k both held */
    for(int j = 0; j < 6; j++) {
      size_t n = (size_t)(k * 7 + (size_t)j * 13) % 79;
      for(size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        str[j][i] = k % 3 ? (char)((seed >> 16) & 0xff)
                          : special[(seed >> 16) % (sizeof(special) - 1)];
        if(!str[j][i])
          str[j][i] = 'x';
      }
      str[j][n] = '\0';
    }
    r[k] = (struct audit_record) {
      (int64_t)k * 86399, str[0], "eu-west-1", k % 4 ? "render" : "function",
      k == 5 ? big : str[1], k % 5 == 1 ? (int64_t)k : 0, "deleted",
      k % 2 ? str[2] : NULL, k % 3 ? str[3] : NULL, k == 9 ? big : str[4],
      k % 4 ? (int64_t)k * 1000 - 1 : -1, k % 4 ? str[5] : NULL,
      k % 8 == 3 ? -5 : (int64_t)k << 33
    };
    ref_line(&r[k], &want);
    /* One at a time and in groups: the same lines. */
    if(k % 2)
      assert_int_equal(audit_write_many(&a, r + k - 1, 2), JAN_OK);
  }
  audit_close(&a);
  text = read_file(f->audit, &len);
  assert_non_null(text);
  assert_int_equal(len, want.len);
  assert_memory_equal(text, want.ptr, len);
  free(text);
  free(big);
  jbuf_free(&want);
}

static void test_audit_two_handles(void **state)
{
  struct fx *f = *state;
  struct audit a, b;
  struct audit_record r = {
    1714564800, "1", "r", "function", NULL, 0, "deleted", NULL, NULL, NULL,
    -1, NULL, 0
  };
  struct json_object *l[128];
  char name[32];
  size_t n;

  /* Appended after what is there. */
  write_file(f->audit, "{\"old\":1}\n", 10);
  audit_init(&a);
  audit_init(&b);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  assert_int_equal(audit_open(&b, f->audit, NULL), JAN_OK);
  for(int i = 0; i < 50; i++) {
    snprintf(name, sizeof(name), "a-%d", i);
    r.name = name;
    assert_int_equal(audit_write(&a, &r), JAN_OK);
    snprintf(name, sizeof(name), "b-%d", i);
    assert_int_equal(audit_write(&b, &r), JAN_OK);
  }
  audit_close(&a);
  audit_close(&b);
  n = audit_lines(f->audit, l, 128);
  assert_int_equal(n, 101);
  assert_int_equal(int_of(l[0], "old"), 1);
  for(size_t i = 1; i < n; i++) {
    snprintf(name, sizeof(name), "%c-%zu", i % 2 ? 'a' : 'b', (i - 1) / 2);
    assert_string_equal(str_of(l[i], "name"), name);
  }
  for(size_t i = 0; i < n; i++)
    json_object_put(l[i]);
}

/*
 * Four processes appending at once: whole lines, none lost, no stray
 * newline.  The records are long so that writes span pages, which is when
 * another writer can see one half done.
 */
static void test_audit_processes(void **state)
{
  struct fx *f = *state;
  struct json_object **l = calloc(256, sizeof(*l));
  pid_t kids[4];
  size_t n;
  int seen[4][50];

  assert_non_null(l);
  memset(seen, 0, sizeof(seen));
  for(int k = 0; k < 4; k++) {
    kids[k] = spawn(f);
    if(kids[k] == 0) {
      struct audit a;
      char name[1600];
      struct audit_record r = {
        1714564800, "1", "r", "function", name, 0, "deleted", NULL, NULL,
        NULL, -1, NULL, 0
      };
      audit_init(&a);
      if(audit_open(&a, f->audit, NULL))
        _exit(1);
      for(int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "%d-%d-%01500d", k, i, 0);
        if(audit_write(&a, &r))
          _exit(2);
      }
      audit_close(&a);
      _exit(0);
    }
  }
  for(int k = 0; k < 4; k++) {
    int status = reap(f, kids[k]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  n = audit_lines(f->audit, l, 256);
  assert_int_equal(n, 200);
  for(size_t i = 0; i < n; i++) {
    int k, j;
    assert_int_equal(sscanf(str_of(l[i], "name"), "%d-%d", &k, &j), 2);
    assert_true(k >= 0 && k < 4 && j >= 0 && j < 50);
    seen[k][j]++;
    json_object_put(l[i]);
  }
  for(int k = 0; k < 4; k++)
    for(int j = 0; j < 50; j++)
      assert_int_equal(seen[k][j], 1);
  free(l);
}

/* A line torn by a crash does not swallow the next record. */
static void test_audit_torn_tail(void **state)
{
  struct fx *f = *state;
  struct audit a;
  struct audit_record r = {
    1714564800, "1", "r", "bucket", "b", 0, "deleted", NULL, NULL, NULL, 3,
    NULL, 0
  };
  struct json_object *o;
  char *text, *nl;
  size_t len;

  write_file(f->audit, "{\"time\":\"2024-", 14);
  audit_init(&a);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  assert_int_equal(audit_write(&a, &r), JAN_OK);
  assert_int_equal(audit_write(&a, &r), JAN_OK);
  audit_close(&a);
  text = read_file(f->audit, &len);
  assert_non_null(text);
  assert_memory_equal(text, "{\"time\":\"2024-\n", 15);
  nl = strchr(text + 15, '\n');
  assert_non_null(nl);
  o = parse_strict(text + 15, (size_t)(nl - text - 15));
  assert_non_null(o);
  assert_int_equal(int_of(o, "objects"), 3);
  json_object_put(o);
  /* Only one newline was added: the second record follows directly. */
  o = parse_strict(nl + 1, len - (size_t)(nl + 1 - text) - 1);
  assert_non_null(o);
  json_object_put(o);
  free(text);
}

/*
 * A write cut short (here by RLIMIT_FSIZE, as a full disk would): JAN_EIO,
 * the record is held, and once there is room again the torn line is
 * closed, the held record written whole, then the next one.
 */
static void test_audit_short_write(void **state)
{
  struct fx *f = *state;
  struct json_object *o;
  struct stat sb;
  char *text, *l1, *l2, *l3, *l4;
  size_t len;
  int status;
  pid_t pid;

  pid = spawn(f);
  if(pid == 0) {
    struct audit a;
    struct rlimit rl;
    struct audit_record r = {
      1714564800, "1", "r", "function", "first", 0, "deleted", NULL, NULL,
      NULL, -1, NULL, 0
    };
    signal(SIGXFSZ, SIG_IGN);
    audit_init(&a);
    if(audit_open(&a, f->audit, NULL) || audit_write(&a, &r))
      _exit(1);
    if(fstat(a.fd, &sb) || getrlimit(RLIMIT_FSIZE, &rl))
      _exit(2);
    rl.rlim_cur = (rlim_t)sb.st_size + 40;
    if(setrlimit(RLIMIT_FSIZE, &rl))
      _exit(3);
    r.name = "second";
    if(audit_write(&a, &r) != JAN_EIO || audit_held(&a) != 1 ||
       audit_failing(&a) != EFBIG || audit_may_delete(audit_failing(&a),
                                                       NULL))
      _exit(4);
    rl.rlim_cur = rl.rlim_max;
    if(setrlimit(RLIMIT_FSIZE, &rl))
      _exit(5);
    r.name = "third";
    if(audit_write(&a, &r) || audit_held(&a) || audit_failing(&a) ||
       !audit_may_delete(audit_failing(&a), NULL))
      _exit(6);
    audit_close(&a);
    _exit(0);
  }
  status = reap(f, pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);

  text = read_file(f->audit, &len);
  assert_non_null(text);
  l1 = text;
  l2 = strchr(l1, '\n');
  assert_non_null(l2);
  l2++;
  l3 = strchr(l2, '\n');
  assert_non_null(l3);
  assert_int_equal(l3 - l2, 40);        /* the torn line, closed */
  l3++;
  l4 = strchr(l3, '\n');
  assert_non_null(l4);
  l4++;
  o = parse_strict(l1, (size_t)(l2 - l1 - 1));
  assert_non_null(o);
  assert_string_equal(str_of(o, "name"), "first");
  json_object_put(o);
  o = parse_strict(l3, (size_t)(l4 - l3 - 1));
  assert_non_null(o);
  assert_string_equal(str_of(o, "name"), "second");    /* held, whole */
  json_object_put(o);
  o = parse_strict(l4, len - (size_t)(l4 - text) - 1);
  assert_non_null(o);
  assert_string_equal(str_of(o, "name"), "third");
  json_object_put(o);
  free(text);
}

/* The deletion gate's table (audit_may_delete): healthy, the errnos of a
 * full, broken or read-only filesystem, and any other errno. */
static void test_audit_may_delete(void **state)
{
  static const struct {
    int err, may;
    const char *why;
  } cases[] = {
    { 0, 1, NULL },
    { ENOSPC, 0, "the filesystem is full (ENOSPC)" },
    { EDQUOT, 0, "the disk quota is exceeded (EDQUOT)" },
    { EFBIG, 0, "the file is too large (EFBIG)" },
    { EIO, 0, "an I/O error (EIO)" },
    { EROFS, 0, "the filesystem is read-only (EROFS)" },
    { EBADF, 0, "the log is not open (EBADF)" },
  };
  const char *why;
  (void)state;

  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    why = "unset";
    assert_int_equal(audit_may_delete(cases[i].err, &why), cases[i].may);
    if(cases[i].why)
      assert_string_equal(why, cases[i].why);
    else
      assert_null(why);
  }
  /* Any other errno closes the gate too, with its strerror. */
  assert_int_equal(audit_may_delete(EACCES, &why), 0);
  assert_string_equal(why, strerror(EACCES));
  assert_int_equal(audit_may_delete(EACCES, NULL), 0);
  assert_int_equal(audit_failing(NULL), 0);
  assert_int_equal(audit_held(NULL), 0);
}

/*
 * A full disk (/dev/full under the descriptor: every write is ENOSPC): the
 * records are held, in order, in the caller's backlog, which outlives the
 * log's close; the next log opened on it writes them first, and is
 * healthy again.
 */
static void test_audit_backlog_full_disk(void **state)
{
  struct fx *f = *state;
  struct audit_backlog bl;
  struct audit a;
  struct json_object *l[8];
  struct audit_record r = {
    1714564800, "1", "r", "function", "one", 0, "deleted", NULL, NULL, NULL,
    -1, NULL, 0
  };
  struct audit_record two[2];
  int full;

  audit_backlog_init(&bl);
  audit_init(&a);
  audit_use_backlog(&a, &bl);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  full = open("/dev/full", O_WRONLY | O_CLOEXEC);
  if(full < 0)
    skip();
  assert_true(dup2(full, a.fd) >= 0);
  close(full);
  assert_int_equal(audit_write(&a, &r), JAN_EIO);
  two[0] = r;
  two[0].name = "two";
  two[1] = r;
  two[1].name = "three";
  assert_int_equal(audit_write_many(&a, two, 2), JAN_EIO);
  assert_int_equal(audit_failing(&a), ENOSPC);
  assert_int_equal(audit_held(&a), 3);
  assert_int_equal(audit_may_delete(audit_failing(&a), NULL), 0);
  audit_close(&a);
  assert_int_equal(bl.n, 3);
  assert_int_equal(bl.err, ENOSPC);

  /* Room again: a new log on the same backlog writes them first. */
  audit_init(&a);
  audit_use_backlog(&a, &bl);
  assert_int_equal(audit_open(&a, f->audit, NULL), JAN_OK);
  assert_int_equal(audit_held(&a), 3);
  assert_int_equal(audit_flush(&a), JAN_OK);
  assert_int_equal(audit_held(&a), 0);
  assert_int_equal(audit_failing(&a), 0);
  r.name = "four";
  assert_int_equal(audit_write(&a, &r), JAN_OK);
  audit_close(&a);
  audit_backlog_free(&bl);

  assert_int_equal(audit_lines(f->audit, l, 8), 4);
  assert_string_equal(str_of(l[0], "name"), "one");
  assert_string_equal(str_of(l[1], "name"), "two");
  assert_string_equal(str_of(l[2], "name"), "three");
  assert_string_equal(str_of(l[3], "name"), "four");
  for(int i = 0; i < 4; i++)
    json_object_put(l[i]);
}

static void test_audit_symlink(void **state)
{
  struct fx *f = *state;
  struct audit a;
  struct jbuf err;
  struct stat sb;
  char target[256], *content;

  audit_init(&a);
  jbuf_init(&err, 4096);
  snprintf(target, sizeof(target), "%s/precious", f->dir);
  write_file(target, "precious", 8);
  assert_int_equal(symlink(target, f->audit), 0);
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_EIO);
  assert_int_equal(a.fd, -1);
  assert_non_null(strstr(jbuf_str(&err), "symbolic link"));
  content = read_file(target, NULL);
  assert_non_null(content);
  assert_string_equal(content, "precious");
  free(content);
  /* A dangling link does not create its target. */
  assert_int_equal(unlink(target), 0);
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_EIO);
  assert_int_equal(lstat(target, &sb), -1);
  /* Nor does a FIFO hang it. */
  assert_int_equal(unlink(f->audit), 0);
  assert_int_equal(mkfifo(f->audit, 0600), 0);
  assert_int_equal(audit_open(&a, f->audit, &err), JAN_EIO);
  audit_close(&a);
  jbuf_free(&err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_key),
    T(test_key_full_identity),
    T(test_clock_set_get),
    T(test_roundtrip),
    T(test_many_clocks),
    T(test_load_hand_written),
    T(test_accounts_apart),
    T(test_migrate_v1),
    T(test_load_missing),
    T(test_load_corrupt),
    T(test_key_bytes),
    T(test_settle),
    T(test_clocks_random),
    T(test_clocks_sweep_order),
    T(test_load_too_big),
    T(test_load_corrupt_twice),
    T(test_load_not_regular),
    T(test_load_mutations),
    T(test_load_symlink),
    T(test_save_atomic),
    T(test_save_failure),
    T(test_world_writable_dir),
    T(test_save_symlink),
    T(test_check_dir),
    T(test_lock_busy_then_free),
    T(test_lock_wait_times_out),
    T(test_lock_kill9),
    T(test_lock_same_process),
    T(test_lock_symlink),
    T(test_audit_records),
    T(test_audit_group_commit),
    T(test_audit_escaping),
    T(test_audit_bytes),
    T(test_audit_two_handles),
    T(test_audit_processes),
    T(test_audit_torn_tail),
    T(test_audit_short_write),
    cmocka_unit_test(test_audit_may_delete),
    T(test_audit_backlog_full_disk),
    T(test_audit_symlink),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
