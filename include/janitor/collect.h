/*
 * The inventory phase of a sweep: STS identity, then at once in every
 * region ListFunctions and ListLayers (then each in-scope layer's versions),
 * and the global ListBuckets (with each bucket's region).  Every listing
 * that fails after the request layer's retries marks its kind in its region
 * incomplete; a region whose Lambda API says it is not enabled is disabled.
 * A kind switched off in [policy] (functions, layers) is not listed.
 */
#ifndef JANITOR_COLLECT_H
#define JANITOR_COLLECT_H

#include "janitor/aws.h"
#include "janitor/config.h"
#include "janitor/inventory.h"

struct collector;

struct collect_result {
  int identity_err;             /* 0, or why GetCallerIdentity failed */
  int identity_unknown;         /* no error, but no identity either: the
                                   endpoint has no STS (405/501), or
                                   [aws] endpoint_accounts = no */
  char identity_msg[AWS_DESCRIBE_MAX];  /* why, in both cases */
};

typedef void (*collect_done_cb)(void *arg, const struct collect_result *r);

/*
 * inv must already hold the regions to sweep (inventory_add_region).
 * done runs once, on the loop, when every listing has ended; the collector
 * frees itself after done returns.
 */
int collect_start(struct aws_client *aws, const struct jan_config *cfg,
                  struct inventory *inv, collect_done_cb done, void *arg);

#endif
