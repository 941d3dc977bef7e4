#include <stdlib.h>
#include <string.h>

#include "janitor/jsonw.h"
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
  struct jsonw w;               /* the answer, written a part at a time */
};

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

/* {"ok":true,"finished":...,"account":...,"resources":[ */
static void put_head(struct jsonw *w, const struct inventory *inv,
                     int several)
{
  char finished[21];

  if(inv)
    wire_time_format(inv->finished_ms / 1000, finished);
  jsonw_object(w);
  jsonw_key(w, "ok");
  jsonw_bool(w, 1);
  jsonw_kstring(w, "finished", inv ? finished : NULL);
  jsonw_kstring(w, "account", inv && inv->account[0] && !several
                              ? inv->account : NULL);
  jsonw_key(w, "resources");
  jsonw_array(w);
}

/* One resource, with its account when the run had several. */
static void put_item(struct jsonw *w, const struct inv_ref *r,
                     const struct inv_item *it)
{
  jsonw_object(w);
  /* Ages as of the end of that sweep: the same answer every time. */
  output_item_members(w, it, r->inv.finished_ms / 1000);
  if(r->name) {
    jsonw_kstring(w, "account", r->inv.account[0] ? r->inv.account : NULL);
    jsonw_kstring(w, "account_name", r->name);
  }
  jsonw_object_end(w);
}

static int inv_next(struct ctl_stream *st, struct jbuf *out)
{
  struct inv_stream *s = (struct inv_stream *)st;
  int more = 1;

  jsonw_set_jbuf(&s->w, out);
  if(!s->started) {
    s->started = 1;
    s->cur = s->ref;
    /* The head names the account when the run had one. */
    put_head(&s->w, s->ref ? &s->ref->inv : NULL, s->ref && s->ref->next);
  }
  else {
    while(s->cur && s->next >= s->cur->inv.n) {
      s->cur = s->cur->next;
      s->next = 0;
    }
    if(s->cur)
      put_item(&s->w, s->cur, &s->cur->inv.items[s->next++]);
    else {
      jsonw_array_end(&s->w);
      jsonw_object_end(&s->w);
      more = 0;
    }
  }
  return jsonw_failed(&s->w) ? jsonw_failed(&s->w) : more;
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
