/*
 * The state file.  The input is written as DIR/state.json in a private
 * directory (on /dev/shm when there is one: state_save() fsyncs) and
 * loaded.  A corrupt file is kept aside and the state starts empty; a good
 * one loads sorted, unique and in range, and saving then loading it again
 * gives the same state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fuzz_util.h"
#include "janitor/buf.h"
#include "janitor/caps.h"
#include "janitor/err.h"
#include "janitor/state.h"

#define CLOCK_MAX 253402300799LL

static char dir[256], path[300], path2[300];

static void clean_dir(void)
{
  DIR *d = opendir(dir);
  struct dirent *e;

  if(!d)
    abort();
  while((e = readdir(d)) != NULL) {
    if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    FUZZ_CHECK(unlinkat(dirfd(d), e->d_name, 0) == 0);
  }
  closedir(d);
}

static void remove_dir(void)
{
  clean_dir();
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  struct stat sb;
  const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode)
                         ? "/dev/shm" : "/tmp";

  (void)argc;
  (void)argv;
  snprintf(dir, sizeof(dir), "%s/fuzz-state-XXXXXX", base);
  if(!mkdtemp(dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(path2, sizeof(path2), "%s/again.json", dir);
  atexit(remove_dir);
  return 0;
}

static int exists(const char *p)
{
  struct stat sb;
  return lstat(p, &sb) == 0;
}

static void check_loaded(const struct state *st)
{
  struct state_clock_iter *it = state_clock_iter_new(st);
  struct state_clock c;
  static char prev[JAN_STATE_KEY_MAX + 1];
  size_t n = 0;

  FUZZ_CHECK(it != NULL);
  while(state_clock_next(it, &c)) {
    FUZZ_CHECK(c.key[0] && c.len == strlen(c.key) && !c.seen);
    FUZZ_CHECK(c.since >= 0 && c.since <= CLOCK_MAX);
    if(n)
      FUZZ_CHECK(strcmp(prev, c.key) < 0);
    memcpy(prev, c.key, c.len + 1);
    FUZZ_CHECK(state_clock_get(st, c.key) == c.since);
    n++;
  }
  state_clock_iter_free(it);
  FUZZ_CHECK(n == st->n);
  FUZZ_CHECK(!st->last_sweep ||
             json_object_is_type(st->last_sweep, json_type_object));
  for(size_t i = 0; i < st->naccounts; i++) {
    FUZZ_CHECK(state_account_id_ok(st->accounts[i]->id));
    FUZZ_CHECK(st->accounts[i]->st.naccounts == 0);
    check_loaded(&st->accounts[i]->st);
  }
}

static void same_state(const struct state *a, const struct state *b)
{
  struct state_clock_iter *it = state_clock_iter_new(a);
  struct state_clock c;

  FUZZ_CHECK(it != NULL && a->n == b->n);
  while(state_clock_next(it, &c))
    FUZZ_CHECK(state_clock_get(b, c.key) == c.since);
  state_clock_iter_free(it);
  FUZZ_CHECK(!a->last_sweep == !b->last_sweep);
  if(a->last_sweep)
    FUZZ_CHECK(json_object_equal(a->last_sweep, b->last_sweep));
  FUZZ_CHECK(a->naccounts == b->naccounts);
  for(size_t i = 0; i < a->naccounts; i++) {
    const struct state *o = state_account_get(b, a->accounts[i]->id);
    FUZZ_CHECK(o != NULL);
    same_state(&a->accounts[i]->st, o);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct state st, st2;
  struct jbuf warn, err;
  int fd, rc;

  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
  close(fd);

  state_init(&st);
  jbuf_init(&warn, 65536);
  rc = state_load(&st, path, &warn);
  FUZZ_CHECK(rc == JAN_OK);
  if(warn.len) {
    /* Corrupt: kept aside, and the state starts empty. */
    FUZZ_CHECK(st.n == 0 && !st.last_sweep);
    FUZZ_CHECK(!exists(path));
    FUZZ_CHECK(strstr(jbuf_str(&warn), "starting empty") != NULL);
  }
  else {
    FUZZ_CHECK(exists(path));
    check_loaded(&st);
    /* Save, load back: the same state, and no warning. */
    jbuf_init(&err, 65536);
    FUZZ_CHECK(state_save(&st, path2, &err) == JAN_OK);
    FUZZ_CHECK(err.len == 0);
    state_init(&st2);
    jbuf_reset(&warn);
    FUZZ_CHECK(state_load(&st2, path2, &warn) == JAN_OK);
    FUZZ_CHECK(warn.len == 0);
    same_state(&st, &st2);
    state_free(&st2);
    jbuf_free(&err);
  }
  state_free(&st);
  jbuf_free(&warn);
  clean_dir();
  return 0;
}
