/*
 * The storage and render metrics (metrics.h): bytes stored per listed
 * bucket and category (gauges of the last sweep), bytes reclaimed and
 * renders pruned (counters since the daemon started).
 */
#include <inttypes.h>
#include <stdio.h>

#include "metrics.h"

void metrics_count_storage(struct metrics_counters *c,
                           const struct inventory *inv)
{
  for(size_t i = 0; i < inv->n; i++) {
    const struct inv_item *it = &inv->items[i];
    if(it->reclaimed > 0)
      c->reclaimed_bytes += (uint64_t)it->reclaimed;
    if(it->kind == JAN_KIND_RENDER && it->result == INV_RES_DELETED)
      c->renders_pruned++;
  }
}

int metrics_format_storage(struct jbuf *out, const struct inventory *inv,
                           const struct metrics_counters *c)
{
  int rc = jbuf_addstr(out, "# HELP remotion_janitor_bucket_stored_bytes "
                       "Bytes stored in each bucket the last sweep listed, "
                       "by category (renders, outputs, sites, props, "
                       "other).\n# TYPE remotion_janitor_bucket_stored_bytes "
                       "gauge\n");
  for(size_t i = 0; i < inv->n && !rc; i++) {
    const struct inv_item *it = &inv->items[i];
    if(it->kind != JAN_KIND_BUCKET || !it->has_storage)
      continue;
    /* Bucket names and regions never need escaping (names_valid). */
    for(int k = 0; k < RENDER_CAT_N && !rc; k++)
      rc = jbuf_printf(out, "remotion_janitor_bucket_stored_bytes{bucket=\"%s"
                       "\",region=\"%s\",category=\"%s\"} %" PRId64 "\n",
                       it->name, it->region,
                       render_cat_name((enum render_cat)k), it->storage[k]);
  }
  rc = rc ? rc : jbuf_printf(out, "# HELP remotion_janitor_reclaimed_bytes_"
                             "total Bytes deleted from renders and props "
                             "since the daemon started.\n# TYPE remotion_"
                             "janitor_reclaimed_bytes_total counter\n"
                             "remotion_janitor_reclaimed_bytes_total %" PRIu64
                             "\n", c->reclaimed_bytes);
  rc = rc ? rc : jbuf_printf(out, "# HELP remotion_janitor_renders_pruned_"
                             "total Renders pruned since the daemon started."
                             "\n# TYPE remotion_janitor_renders_pruned_total "
                             "counter\nremotion_janitor_renders_pruned_total "
                             "%" PRIu64 "\n", c->renders_pruned);
  return rc;
}
