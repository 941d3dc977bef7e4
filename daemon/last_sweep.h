/*
 * The record of a finished sweep (last_sweep.c): the state file's
 * "last_sweep" and status' "last_sweep" are this one object.
 */
#ifndef JANITOR_DAEMON_LAST_SWEEP_H
#define JANITOR_DAEMON_LAST_SWEEP_H

#include <stdint.h>

#include <json-c/json.h>

#include "output.h"
#include "sweep.h"

/* The record of the finished sweep sw; refusals ({key: first refused, in
 * epoch s}) is taken over (NULL: none). */
struct json_object *last_sweep_record(const struct sweep *sw,
                                      struct json_object *refusals);
/* 1 when o (from a state file) is a whole record that status can show. */
int last_sweep_is_record(struct json_object *o);
/* The refusals of a record (also of an older state file), or NULL. */
struct json_object *last_sweep_refusals(struct json_object *o);

/*
 * The status record of a run (status' "last_sweep"): {"mode","started",
 * "finished","duration_ms","trigger","exit_code","accounts":[each
 * account's record with its "name"],"summary":{"found",candidates,
 * deleted,failed,refused}}, from each account's name and record
 * (r[i].record may be NULL: that account has none) and the run's exit
 * code (new reference).
 */
struct json_object *last_sweep_run_record(const struct account_result *r,
                                          size_t n, int code);

/* An integer field of a record (also of "found"); 0 when absent. */
int64_t last_sweep_int(struct json_object *o, const char *key);

#endif
