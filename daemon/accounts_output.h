/* The report of several accounts (remotion-janitor(8), OUTPUT). */
#ifndef JANITOR_DAEMON_ACCOUNTS_OUTPUT_H
#define JANITOR_DAEMON_ACCOUNTS_OUTPUT_H

#include <stdio.h>

#include <json-c/json.h>

#include "accounts.h"
#include "output.h"

/* {"mode","started","finished","accounts":[{name, account, regions,
 * ignored, resources, summary, exit_code, error}],"summary"} (caller
 * owns). */
struct json_object *accounts_json(const struct accounts *as,
                                  enum jan_mode mode, int64_t now);
void accounts_output_json(FILE *f, const struct accounts *as,
                          enum jan_mode mode, int64_t now);
/* One table with an ACCOUNT column, each account's lines below it, and
 * one line for them all. */
void accounts_output_table(FILE *f, const struct accounts *as,
                           enum jan_mode mode, int64_t now,
                           const struct output_opts *o);

#endif
