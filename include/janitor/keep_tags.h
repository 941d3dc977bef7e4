/*
 * [policy] keep_tag (keep_tags.c): between the decisions and the guards,
 * the tags of every candidate that may carry them (policy_tags_apply:
 * functions with lambda:ListTags, buckets with s3:GetBucketTagging; a
 * bucket without tags answers NoSuchTagSet, which is no tags) are read,
 * one request each, all at once (the request layer bounds what is in
 * flight), and policy_decide_tags() keeps the tagged ones ("tagged") and
 * those whose tags cannot be read ("tags-unknown"); the log groups that
 * follow a function follow it again.  Nothing is read when keep_tag is not
 * set, and nothing of a resource the policy keeps anyway.
 */
#ifndef JANITOR_KEEP_TAGS_H
#define JANITOR_KEEP_TAGS_H

#include "janitor/aws.h"
#include "janitor/config.h"
#include "janitor/inventory.h"

/*
 * Returns 0 when nothing is to be read (done is not called), 1 when done
 * will be called on the loop once every answer is in.  inv must stay as it
 * is (no item added or moved) until then.
 */
int keep_tags_read(struct aws_client *aws, const struct jan_config *cfg,
                   struct inventory *inv, void (*done)(void *arg),
                   void *arg);

#endif
