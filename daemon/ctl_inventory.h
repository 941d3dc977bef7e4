/*
 * The `inventory` answer of the status socket, streamed: the last sweep's
 * inventory is shared (reference counted) between the service and every
 * answer still being written, so a new sweep can replace it at any time
 * and a slow reader still gets the inventory it started on, produced one
 * resource at a time (ctl.h: struct ctl_stream).
 */
#ifndef JANITOR_DAEMON_CTL_INVENTORY_H
#define JANITOR_DAEMON_CTL_INVENTORY_H

#include "janitor/inventory.h"
#include "ctl.h"

struct inv_ref;

/* A shared inventory taking over inv's content (inv is left empty);
 * NULL when memory ran out (inv is untouched). */
struct inv_ref *inv_ref_new(struct inventory *inv);
void inv_ref_put(struct inv_ref *r);
/*
 * Several accounts: r is named name (its section) and, unless it is head,
 * answered after head, which then owns it; each of its resources comes
 * with its "account" and "account_name".  JAN_OK, or JAN_ENOMEM with
 * nothing changed.
 */
int inv_ref_append(struct inv_ref *head, struct inv_ref *r, const char *name);
const struct inventory *inv_ref_inv(const struct inv_ref *r);

/*
 * The answer {"ok":true,"finished":...,"account":...,"resources":[...]}
 * over r (NULL: no sweep yet: nulls and no resources; several accounts
 * (inv_ref_append): "account" null, each resource with its own), byte for byte what
 * json-c prints for the whole object, ages as of the sweep's end.  Holds
 * a reference to r until freed.  NULL when memory ran out.
 */
struct ctl_stream *ctl_inventory_stream(struct inv_ref *r);

#endif
