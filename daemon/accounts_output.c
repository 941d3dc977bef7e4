/*
 * The report of several accounts (remotion-janitor(8), OUTPUT): the JSON
 * document with an "accounts" array and the overall summary, and the
 * table with an ACCOUNT column.  One account's part is what output.c
 * writes for a single account.
 */
#include <stdio.h>
#include <string.h>

#include "janitor/untrusted.h"
#include "accounts.h"
#include "accounts_output.h"
#include "output.h"

/* The members of an account's entry, from the single-account document. */
static const char *const account_keys[] = {
  "account", "regions", "ignored", "resources", "summary"
};

/* Add every integer of the account's summary to the total's. */
static void add_summary(struct json_object *total, struct json_object *sum)
{
  struct json_object_iter it;
  json_object_object_foreachC(sum, it) {
    struct json_object *t = NULL;
    int64_t v = it.val ? json_object_get_int64(it.val) : 0;
    if(json_object_object_get_ex(total, it.key, &t) && t)
      v += json_object_get_int64(t);
    json_object_object_add(total, it.key, json_object_new_int64(v));
  }
}

struct json_object *accounts_json(const struct accounts *as,
                                  enum jan_mode mode, int64_t now)
{
  struct json_object *doc = json_object_new_object();
  struct json_object *arr = json_object_new_array();
  struct json_object *total = json_object_new_object(), *v;
  const char *started = NULL, *finished = NULL;
  struct json_object *one[JAN_MAX_ACCOUNTS] = { NULL };

  for(size_t i = 0; i < as->n; i++) {
    const struct account_sweep *a = &as->a[i];
    struct json_object *d = output_sweep_json(&a->sw.inv, mode, now);
    struct json_object *o = json_object_new_object();
    const char *t;

    one[i] = d;
    json_object_object_add(o, "name", json_object_new_string(a->acct->name));
    for(size_t k = 0; k < sizeof(account_keys) / sizeof(*account_keys); k++)
      if(json_object_object_get_ex(d, account_keys[k], &v))
        json_object_object_add(o, account_keys[k], json_object_get(v));
    json_object_object_add(o, "exit_code",
                           json_object_new_int(a->sw.exit_code));
    json_object_object_add(o, "error", a->sw.exit_code && a->sw.message[0]
                           ? json_object_new_string(a->sw.message) : NULL);
    if(json_object_object_get_ex(d, "summary", &v))
      add_summary(total, v);
    /* ISO 8601 in UTC compares as text. */
    if(json_object_object_get_ex(d, "started", &v) && v &&
       (t = json_object_get_string(v)) && (!started || strcmp(t, started) < 0))
      started = t;
    if(json_object_object_get_ex(d, "finished", &v) && v &&
       (t = json_object_get_string(v)) &&
       (!finished || strcmp(t, finished) > 0))
      finished = t;
    json_object_array_add(arr, o);
  }
  /* As in one account's summary: refused is null when nothing was. */
  if(json_object_object_get_ex(total, "refused", &v) &&
     !json_object_get_int64(v))
    json_object_object_add(total, "refused", NULL);
  json_object_object_add(doc, "mode", json_object_new_string(
                             mode == JAN_MODE_DELETE ? "delete" : "report"));
  json_object_object_add(doc, "started",
                         started ? json_object_new_string(started) : NULL);
  json_object_object_add(doc, "finished",
                         finished ? json_object_new_string(finished) : NULL);
  json_object_object_add(doc, "accounts", arr);
  json_object_object_add(doc, "summary", total);
  for(size_t i = 0; i < as->n; i++)
    json_object_put(one[i]);
  return doc;
}

void accounts_output_json(FILE *f, const struct accounts *as,
                          enum jan_mode mode, int64_t now)
{
  struct json_object *doc = accounts_json(as, mode, now);
  untrusted_json_fputs(json_object_to_json_string_ext(
                           doc, JSON_C_TO_STRING_PLAIN |
                           JSON_C_TO_STRING_NOSLASHESCAPE), f);
  fputc('\n', f);
  json_object_put(doc);
}

void accounts_output_table(FILE *f, const struct accounts *as,
                           enum jan_mode mode, int64_t now,
                           const struct output_opts *base)
{
  struct output_opts o = *base;
  size_t wacc = strlen("ACCOUNT"), wname = 0;
  size_t cand = 0, deleted = 0, failed = 0, refused = 0;
  int header = 0;

  /* One table: the columns as wide for every account. */
  for(size_t i = 0; i < as->n; i++) {
    const struct inventory *inv = &as->a[i].sw.inv;
    if(strlen(as->a[i].acct->name) > wacc)
      wacc = strlen(as->a[i].acct->name);
    for(size_t j = 0; j < inv->n; j++) {
      char name[INV_DISPLAY_NAME_MAX];
      inv_display_name(&inv->items[j], name, sizeof(name));
      if(strlen(name) > wname)
        wname = strlen(name);
    }
  }
  o.account_width = wacc;
  o.name_min = wname;
  o.header = &header;
  static const enum output_part parts[] = { OUTPUT_ROWS, OUTPUT_TAIL };
  for(size_t p = 0; p < sizeof(parts) / sizeof(*parts); p++) {
    o.part = parts[p];
    for(size_t i = 0; i < as->n; i++) {
      o.account = as->a[i].acct->name;
      output_table(f, &as->a[i].sw.inv, mode, now, &o);
    }
  }
  for(size_t i = 0; i < as->n; i++) {
    struct inv_summary s;
    inventory_summary(&as->a[i].sw.inv, &s);
    cand += s.candidates;
    deleted += s.deleted;
    failed += s.failed;
    refused += s.refused;
  }
  fprintf(f, "%zu accounts: %zu candidates, %zu deleted, %zu failed, "
          "%zu refused\n", as->n, cand, deleted, failed, refused);
}
