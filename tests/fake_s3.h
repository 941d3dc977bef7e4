/*
 * A scripted S3 for the unit programs of the bulk engine's owners
 * (test_bucket.c, test_s3bulk.c): every S3 call the code under test makes
 * is queued here, and the test answers the calls in the order it likes
 * (fake_take), from its own in-memory bucket.
 */
#ifndef TESTS_FAKE_S3_H
#define TESTS_FAKE_S3_H

#include <stddef.h>
#include <stdint.h>

#include "janitor/services.h"

enum fake_op { FAKE_LISTV = 0, FAKE_LIST2, FAKE_DELS, FAKE_DEL1, FAKE_WEB,
               FAKE_BUCKET };
#define FAKE_OPS 6

struct fake_call {
  enum fake_op op;
  char *km, *vm;                /* listing markers, copied */
  struct wire_object *objs;     /* keys to delete, copied */
  size_t n;
  aws_result_cb cb;
  void *arg;
};

#define FAKE_CALLS_MAX 256
extern struct fake_call fake_calls[FAKE_CALLS_MAX];
extern size_t fake_ncalls;
extern unsigned fake_made[FAKE_OPS];    /* calls made, by operation */
extern unsigned fake_deletes_max;       /* most deletes queued at once */

/* The operation's AWS name ("ListObjectVersions", ...). */
const char *fake_op_name(enum fake_op op);
/* Call k, out of the queue: the caller answers it, then fake_call_free. */
struct fake_call fake_take(size_t k);
void fake_call_free(struct fake_call *c);
/* fake_take, with r made a plain 200 answered at the first attempt. */
struct fake_call fake_answer(size_t k, struct aws_response *r);
/* A scripted error answer: status, code, "scripted CODE". */
void fake_error(struct aws_response *r, long status, const char *code);
/* Empty queue and counters (calls still queued are dropped). */
void fake_reset(void);
/* How a test answers each operation (NULL: the code under test must never
 * send it); r comes as a plain 200 with request id "req-1". */
typedef void (*fake_answer_fn)(struct fake_call *c, struct aws_response *r);
struct fake_answerers {
  fake_answer_fn op[FAKE_OPS];
};
/* Take a call at random (fake_rnd) and answer it. */
void fake_serve_one(const struct fake_answerers *a);

/* The tests' random numbers (an LCG: the same run for the same seed). */
void fake_seed(uint64_t seed);
uint32_t fake_rnd(void);

#endif
