/*
 * CloudWatch Logs (logs.c): the log groups Lambda writes for Remotion's
 * functions ("/aws/lambda/<function>", see scope.h), over JSON 1.1 (POST /
 * with X-Amz-Target: Logs_20140328.<operation>), signed for the service
 * "logs" at logs.<region>.amazonaws.com or the endpoint override
 * (endpoint_url, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL).
 * Asynchronous like services.h: cb gets the typed result named beside
 * each function, or NULL when the call failed (r->err says why).
 */
#ifndef JANITOR_LOGS_H
#define JANITOR_LOGS_H

#include "janitor/aws.h"
#include "janitor/buf.h"
#include "janitor/wire.h"

/* Groups a DescribeLogGroups page may hold (the API's maximum, asked). */
#define LOGS_PAGE_ITEMS 50

/*
 * DescribeLogGroups with logGroupNamePrefix SCOPE_LOG_GROUP_PREFIX (every
 * group in scope starts with it; the caller still checks each name with
 * scope_log_group_contains and names_log_group_valid), limit
 * LOGS_PAGE_ITEMS, and nextToken token (NULL for the first page).  Result:
 * struct wire_log_group_page.
 */
int logs_describe_log_groups(struct aws_client *c, const char *region,
                             const char *token, aws_result_cb cb, void *arg);
/* DeleteLogGroup; refused with JAN_ESCOPE or JAN_EINVAL, nothing sent,
 * unless names_log_group_guard() accepts the name.  No result. */
int logs_delete_log_group(struct aws_client *c, const char *region,
                          const char *group, aws_result_cb cb, void *arg);

/* The request bodies (JSON objects), appended to out: pure, for tests. */
int logs_describe_body(const char *token, struct jbuf *out);
int logs_delete_body(const char *group, struct jbuf *out);

#endif
