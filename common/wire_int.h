/*
 * Private helpers shared by the wire_*.c files: the streaming XML walker
 * and small string utilities.  Not part of the public interface.
 */
#ifndef JANITOR_WIRE_INT_H
#define JANITOR_WIRE_INT_H

#include <stddef.h>
#include <stdint.h>

/* Deepest element accepted; AWS answers nest at most 6 levels. */
#define WX_MAX_DEPTH 32
/* Largest text content of one element. */
#define WX_MAX_TEXT (1u << 20)

enum wx_event {
  WX_START,   /* text is NULL */
  WX_END      /* text: the content of a leaf element (NUL-terminated),
                 or NULL for an element with child elements */
};

/*
 * path[0] is the root's local name, path[depth] the current element's.
 * A non-zero return stops the walk and is returned by wx_walk().
 */
typedef int (*wx_cb)(void *arg, enum wx_event ev, int depth,
                     const char *const *path, const char *text,
                     size_t textlen);

/*
 * Walk a whole document, calling cb for each element start and end.
 * root: the required local name of the root element, or NULL for any.
 * Returns 0, the callback's code, JAN_EPARSE (not well-formed, a DOCTYPE,
 * an entity reference, too deep, wrong root, no root, text mixed with
 * elements), JAN_ENOMEM or JAN_ETOOBIG.
 */
int wx_walk(const char *body, size_t len, const char *root, wx_cb cb,
            void *arg);

/* path[1..depth] equals the names given (NULL-terminated list). */
int wx_path_is(int depth, const char *const *path, ...);

/* Copy server text into a fixed buffer through untrusted_text(): secrets
 * redacted, control characters escaped, cut with "..." when too long. */
void wire_copy_str(char *dst, size_t size, const char *src, size_t srclen);
/* strndup that refuses embedded NULs: 0, JAN_EPARSE or JAN_ENOMEM.  A field
 * already set (*dst != NULL) is a repeated field, and a NULL src (not a
 * leaf): JAN_EPARSE. */
int wire_set_str(char **dst, const char *src, size_t len);
/* Grow an array so that it holds at least n + 1 elements. */
int wire_grow(void **v, size_t *cap, size_t n, size_t elsize);

/* Append key=value to a tag list (wire.h's limits: JAN_EPARSE beyond
 * them, for a NUL byte, or for a key already there). */
struct wire_tag_list;
int wire_tag_add(struct wire_tag_list *t, const char *key, size_t klen,
                 const char *value, size_t vlen);

/* The JSON page reader of wire_lambda.c, for the other JSON services
 * (wire_org.c): the whole body one object (strict, valid UTF-8, depth
 * capped), member the required array, each item parsed by item into an
 * array of item_size items (*v, caller frees; on failure it holds the *n
 * items parsed so far), marker_member the optional string token. */
struct json_object;
typedef int (*wire_json_item_fn)(struct json_object *o, void *item);
int wire_json_page(const char *body, size_t len, const char *member,
                   const char *marker_member, size_t item_size,
                   wire_json_item_fn item, void **v, size_t *n,
                   char **marker);
/* A string member: absent, null or "" -> NULL (JAN_EPARSE when required);
 * another type, or a string with a NUL -> JAN_EPARSE. */
int wire_json_str(struct json_object *o, const char *key, int required,
                  char **out);
/* The whole body as one JSON object (the reader's checks); the caller
 * puts it. */
int wire_json_root(const char *body, size_t len, struct json_object **out);

#endif
