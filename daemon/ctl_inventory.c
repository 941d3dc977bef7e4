#include <stdlib.h>
#include <string.h>

#include "janitor/untrusted.h"
#include "janitor/wire.h"
#include "ctl_inventory.h"
#include "output.h"

struct inv_ref {
  unsigned refs;
  struct inventory inv;
  char *name;                   /* several accounts: this one's section */
  struct inv_ref *next;         /* several accounts: the next one's */
};

struct inv_stream {
  struct ctl_stream base;       /* first: the stream is the struct */
  struct inv_ref *ref;          /* NULL: before the first sweep */
  const struct inv_ref *cur;    /* the account being written */
  size_t next;                  /* the next resource in cur */
  int started;                  /* the head is out */
  int wrote;                    /* a resource is out */
};

#define TO_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct inv_ref *inv_ref_new(struct inventory *inv)
{
  struct inv_ref *r = calloc(1, sizeof(*r));
  if(!r)
    return NULL;
  r->refs = 1;
  r->inv = *inv;
  inventory_init(inv);
  return r;
}

void inv_ref_put(struct inv_ref *r)
{
  if(!r || --r->refs)
    return;
  while(r) {
    struct inv_ref *next = r->next;
    inventory_free(&r->inv);
    free(r->name);
    free(r);
    r = next;
  }
}

int inv_ref_append(struct inv_ref *head, struct inv_ref *r, const char *name)
{
  struct inv_ref **tail = &head->next;
  char *n = strdup(name);

  if(!n)
    return JAN_ENOMEM;
  free(r->name);
  r->name = n;
  if(r == head)
    return JAN_OK;
  while(*tail)
    tail = &(*tail)->next;
  *tail = r;
  return JAN_OK;
}

const struct inventory *inv_ref_inv(const struct inv_ref *r)
{
  return &r->inv;
}

/* Append o as json-c prints it; with cut, without its last byte.  Takes o. */
static int add_json(struct jbuf *out, struct json_object *o, int cut)
{
  const char *s = o ? json_object_to_json_string_ext(o, TO_JSON_FLAGS) : NULL;
  int rc = s ? untrusted_json_add(out, s, strlen(s) - (cut ? 1 : 0))
             : JAN_ENOMEM;
  json_object_put(o);
  return rc;
}

/* The object without "resources", cut before its '}'. */
static int add_head(struct jbuf *out, const struct inventory *inv,
                    int several)
{
  struct json_object *o = json_object_new_object();
  char finished[21];

  if(!o)
    return JAN_ENOMEM;
  if(inv)
    wire_time_format(inv->finished_ms / 1000, finished);
  json_object_object_add(o, "ok", json_object_new_boolean(1));
  json_object_object_add(o, "finished", inv
                         ? json_object_new_string(finished) : NULL);
  json_object_object_add(o, "account", inv && inv->account[0] && !several
                         ? json_object_new_string(inv->account) : NULL);
  return add_json(out, o, 1);
}

/* One resource, with its account. */
static struct json_object *item_json(const struct inv_ref *r,
                                     const struct inv_item *it)
{
  /* Ages as of the end of that sweep: the same answer every time. */
  struct json_object *o = output_item_json(it, r->inv.finished_ms / 1000);
  if(o && r->name) {
    json_object_object_add(o, "account", r->inv.account[0]
                           ? json_object_new_string(r->inv.account) : NULL);
    json_object_object_add(o, "account_name",
                           json_object_new_string(r->name));
  }
  return o;
}

static int inv_next(struct ctl_stream *st, struct jbuf *out)
{
  struct inv_stream *s = (struct inv_stream *)st;
  const struct inventory *inv = s->ref ? &s->ref->inv : NULL;
  int rc;

  if(!s->started) {
    s->started = 1;
    s->cur = s->ref;
    /* The head names the account when the run had one. */
    rc = add_head(out, inv, s->ref && s->ref->next);
    if(!rc)
      rc = jbuf_addstr(out, ",\"resources\":[");
    return rc ? rc : 1;
  }
  while(s->cur && s->next >= s->cur->inv.n) {
    s->cur = s->cur->next;
    s->next = 0;
  }
  if(s->cur) {
    rc = s->wrote ? jbuf_addc(out, ',') : JAN_OK;
    s->wrote = 1;
    if(!rc)
      rc = add_json(out, item_json(s->cur, &s->cur->inv.items[s->next]), 0);
    s->next++;
    return rc ? rc : 1;
  }
  return jbuf_addstr(out, "]}");
}

static void inv_free(struct ctl_stream *st)
{
  struct inv_stream *s = (struct inv_stream *)st;
  inv_ref_put(s->ref);
  free(s);
}

struct ctl_stream *ctl_inventory_stream(struct inv_ref *r)
{
  struct inv_stream *s = calloc(1, sizeof(*s));
  if(!s)
    return NULL;
  s->base.next = inv_next;
  s->base.free = inv_free;
  if(r) {
    r->refs++;
    s->ref = r;
  }
  return &s->base;
}
