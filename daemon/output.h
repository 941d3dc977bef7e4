#ifndef JANITOR_DAEMON_OUTPUT_H
#define JANITOR_DAEMON_OUTPUT_H

#include <stdio.h>

#include <json-c/json.h>

#include "janitor/config.h"
#include "janitor/inventory.h"

/* One resource as in SPEC section 7 (caller owns the object). */
struct json_object *output_item_json(const struct inv_item *it, int64_t now);
/* {"buckets":N,"functions":N,"layers":N} from counts by enum jan_kind
 * (inventory.ignored, inventory.invalid); caller owns. */
struct json_object *output_counts_json(const unsigned long counts[3]);
/* The whole --sweep --json document (caller owns). */
struct json_object *output_sweep_json(const struct inventory *inv,
                                      enum jan_mode mode, int64_t now);
void output_json(FILE *f, const struct inventory *inv, enum jan_mode mode,
                 int64_t now);
/* The human form: a table and a summary line. */
void output_table(FILE *f, const struct inventory *inv, enum jan_mode mode,
                  int64_t now);
/* "3d4h", "12m", "-" */
void output_age(int64_t secs, char *out, size_t outlen);

#endif
