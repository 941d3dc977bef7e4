/*
 * The INI line reader (janitor/ini.h): one pass over the text, no
 * allocation, spans into the caller's buffer.
 */
#include <string.h>

#include "janitor/ini.h"

static bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

static void trim(const char **a, const char **b)
{
  while(*a < *b && is_blank(**a))
    (*a)++;
  while(*b > *a && is_blank((*b)[-1]))
    (*b)--;
}

void ini_init(struct ini_reader *r, const char *text, size_t len,
              size_t line_max, unsigned flags)
{
  memset(r, 0, sizeof(*r));
  r->p = text;
  r->end = text ? text + len : text;
  r->line_max = line_max;
  r->flags = flags;
  if(len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
    r->p += 3;
}

static bool fail(struct ini_line *l, enum ini_error e, const char *a,
                 const char *b)
{
  l->kind = INI_ERROR;
  l->error = e;
  l->name = a;
  l->name_len = a ? (size_t)(b - a) : 0;
  return true;
}

/* A line that is neither blank nor a comment: [a, b) trimmed. */
static bool classify(struct ini_line *l, const char *a, const char *b)
{
  const char *s;

  if(*a == '[') {
    l->header = true;
    for(s = a + 1; s < b && *s != ']'; s++)
      ;
    if(s == b)
      return fail(l, INI_E_HEADER_OPEN, a, b);
    if(s + 1 < b)
      return fail(l, INI_E_HEADER_TAIL, s + 1, b);
    a++;
    b = s;
    trim(&a, &b);
    if(a == b)
      return fail(l, INI_E_HEADER_EMPTY, NULL, NULL);
    l->kind = INI_SECTION;
    l->name = a;
    l->name_len = (size_t)(b - a);
    return true;
  }
  for(s = a; s < b && *s != '=' && *s != ':'; s++)
    ;
  if(s == b)
    return fail(l, INI_E_NOT_PAIR, a, b);
  {
    const char *na = a, *nb = s, *va = s + 1, *vb = b;
    trim(&na, &nb);
    trim(&va, &vb);
    if(na == nb) {
      l->ch = (unsigned char)*s;
      return fail(l, INI_E_NO_NAME, NULL, NULL);
    }
    l->kind = INI_PAIR;
    l->name = na;
    l->name_len = (size_t)(nb - na);
    l->value = va;
    l->value_len = (size_t)(vb - va);
  }
  return true;
}

bool ini_next(struct ini_reader *r, struct ini_line *l)
{
  while(r->p < r->end) {
    const char *a = r->p, *b, *q;
    const char *nl = memchr(a, '\n', (size_t)(r->end - a));
    size_t indent = 0;

    b = nl ? nl : r->end;
    r->p = nl ? nl + 1 : r->end;
    r->lineno++;
    memset(l, 0, sizeof(*l));
    l->lineno = r->lineno;
    if(b > a && b[-1] == '\r')
      b--;
    if((size_t)(b - a) > r->line_max)
      return fail(l, INI_E_LONG, NULL, NULL);
    for(q = a; q < b; q++) {
      unsigned char ch = (unsigned char)*q;
      if(ch == '\0')
        return fail(l, INI_E_NUL, NULL, NULL);
      if((r->flags & INI_CONTROL_BYTES) &&
         ((ch < 0x20 && ch != '\t') || ch == 0x7f)) {
        l->ch = ch;
        return fail(l, INI_E_CONTROL, NULL, NULL);
      }
    }
    while(a + indent < b && is_blank(a[indent]))
      indent++;
    trim(&a, &b);
    if(a == b || *a == ';' || *a == '#')
      continue;
    if((r->flags & INI_CONTINUATION) && r->after_pair &&
       indent > r->pair_indent)
      continue;
    if(r->flags & INI_INLINE_COMMENTS) {
      for(q = a + 1; q < b; q++)
        if((*q == ';' || *q == '#') && is_blank(q[-1])) {
          b = q;
          break;
        }
      trim(&a, &b);
    }
    classify(l, a, b);
    if(l->kind == INI_PAIR) {
      r->after_pair = true;
      r->pair_indent = indent;
    }
    else if(l->kind == INI_SECTION)
      r->after_pair = false;
    return true;
  }
  return false;
}

const char *ini_error_phrase(enum ini_error e)
{
  switch(e) {
  case INI_E_LONG:         return "line is too long";
  case INI_E_NUL:          return "line contains a NUL byte";
  case INI_E_CONTROL:      return "line contains a control character";
  case INI_E_HEADER_OPEN:  return "syntax error: section header without ']'";
  case INI_E_HEADER_TAIL:  return "syntax error: text after the section "
                                  "header";
  case INI_E_HEADER_EMPTY: return "syntax error: empty section header";
  case INI_E_NO_NAME:      return "syntax error: no name before the '=' or "
                                  "':'";
  case INI_E_NOT_PAIR:     return "syntax error: not a [section], a "
                                  "name = value or a comment";
  }
  return "syntax error";
}
