#ifndef JANITOR_DAEMON_OUTPUT_H
#define JANITOR_DAEMON_OUTPUT_H

#include <stdio.h>

#include <json-c/json.h>

#include "janitor/config.h"
#include "janitor/inventory.h"
#include "janitor/jsonw.h"
#include "fit.h"

/* The members of one resource as in remotion-janitor(8), OUTPUT (between
 * the braces the caller writes), ages as of now. */
void output_item_members(struct jsonw *w, const struct inv_item *it,
                         int64_t now);
/* An epoch time in seconds as "2025-01-01T12:00:00Z"; NULL (JSON null)
 * when negative. */
struct json_object *output_time_json(int64_t epoch_s);
/* {"buckets":N,"functions":N,"layers":N,"log_groups":N} from counts by
 * enum jan_kind (inventory.ignored, inventory.invalid); caller owns. */
struct json_object *output_counts_json(const unsigned long counts[JAN_KIND_N]);
/*
 * The outcome of one account of a run: the model every output of a run is
 * built from (the table, the JSON document, the status record, the
 * metrics), whatever the number of accounts.
 */
struct account_result {
  const char *name;             /* its section's, or "default" */
  const struct inventory *inv;
  int exit_code;
  const char *error;            /* why exit_code is not 0; NULL: none */
  struct json_object *record;   /* its status record (last_sweep.h);
                                   NULL: none */
  const char *title;            /* a member's Name in the organization
                                   (outside text), or NULL */
};

/* A member of the organization left out of the run. */
struct output_skipped {
  const char *account;          /* its id */
  const char *name;             /* its Name (outside text), or NULL */
  const char *reason;           /* org_fate_name(): "suspended", .. */
};

/* What a run says besides its accounts (NULL: nothing). */
struct output_run_info {
  int organization;             /* the run listed an organization: its
                                   skipped members are listed */
  const struct output_skipped *skipped;
  size_t nskipped;
  const char *error;            /* why the run failed as a whole (its
                                   organization's listing), or NULL */
  int exit_code;                /* the run's, with error */
};

/*
 * The --sweep --json document of a run (remotion-janitor(8), OUTPUT):
 * {"mode","started","finished","accounts":[{"name","org_name" (a member
 * of the organization only),"account","regions","ignored","resources",
 * "summary","exit_code","error"}],"skipped_accounts" (with an
 * organization only):[{"account","name","reason"}],"summary","exit_code",
 * "error" (these two only when info->error)}, for one account as for
 * several, written as it is produced (jsonw.h: no tree of it is built;
 * memory does not grow with the inventories).
 */
void output_run_json(FILE *f, const struct account_result *r, size_t n,
                     enum jan_mode mode, int64_t now,
                     const struct output_run_info *info);
enum output_part { OUTPUT_ALL = 0, OUTPUT_ROWS, OUTPUT_TAIL };

struct output_opts {
  size_t columns;               /* the terminal's width; 0: never cut */
  int candidates_only;          /* --candidates: only what would be deleted */
  /* Several accounts (output_run_table): an ACCOUNT column of width
   * account_width with this name, a NAME column at least name_min wide,
   * the header only while *header is 0 (then set), and only the rows or
   * only the lines below them. */
  const char *account;          /* NULL: one account, no column */
  size_t account_width, name_min;
  int *header;
  enum output_part part;
};
/* The human form: a table and a summary line.  o may be NULL. */
void output_table(FILE *f, const struct inventory *inv, enum jan_mode mode,
                  int64_t now, const struct output_opts *o);
/* A run's: one account's table; for several, one table with an ACCOUNT
 * column, each account's lines below it, and one line for them all. */
void output_run_table(FILE *f, const struct account_result *r, size_t n,
                      enum jan_mode mode, int64_t now,
                      const struct output_opts *o);
/* Below a run's table, with an organization: a line per member swept
 * with its Name, a line per member left out, escaped as outside text. */
void output_run_members(FILE *f, const struct account_result *r, size_t n,
                        const struct output_run_info *info);
/* "90d", "5h", "12m", "-": whole units, rounded down. */
void output_age(int64_t secs, char *out, size_t outlen);
/* A duration for a person: "45s", "12m05s", "3h04m", "2d5h" (negative: 0). */
void output_span(int64_t seconds, char *out, size_t len);

/* Renders, props and storage (output_storage.c): the members of those
 * resources and of listed buckets; the summary's renders, stored_bytes,
 * reclaimed_bytes; the human storage report; a size in binary units
 * ("512 B", "1.5 MiB"). */
void output_storage_members(struct jsonw *w, const struct inv_item *it);
void output_storage_summary(struct jsonw *w, const struct inv_summary *s);
void output_storage_table(FILE *f, const struct inventory *inv,
                          size_t columns);
/* Renders and props: " (N objects, SIZE)" appended to a table cell. */
void output_storage_why(const struct inv_item *it, char *why, size_t len);
void output_bytes(int64_t bytes, char *out, size_t outlen);
/* The status answer's "storage" of the last sweep: renders found and
 * pruned, stored_bytes, reclaimed_bytes, and per listed bucket its bytes
 * by category (caller owns). */
struct json_object *output_storage_status_json(const struct inventory *inv);
/* Lambda code storage: per region not disabled, {region, bytes (null when
 * its function listing is incomplete), quota_bytes} (inventory.h). */
struct json_object *output_code_storage_json(const struct inventory *inv);
/* CloudWatch Logs: per region not disabled, when log groups are listed,
 * {region, bytes (the sum of storedBytes; null when the listing is
 * incomplete or not permitted), log_groups} (inventory.h). */
struct json_object *output_log_group_storage_json(const struct inventory *inv);
/* A region's optional kinds AWS denied: ["log_group"] (caller owns). */
struct json_object *output_not_permitted_json(const struct inv_region *r);

/* A failed command under --json: {"error": MSG, "exit_code": CODE} and a
 * newline (trailing newlines of msg dropped). */
void output_error_json(FILE *f, const char *msg, int code);

#endif
