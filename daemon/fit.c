/* Text cut to a terminal's width (fit.h). */
#include <stdio.h>
#include <string.h>

#include "fit.h"

void output_fit(const char *s, size_t width, char *out, size_t outlen)
{
  static const char ell[] = "\xe2\x80\xa6";   /* U+2026, one column */
  size_t n = strlen(s), head, tail;

  if(!outlen)
    return;
  if(!width || n <= width || width < 3) {
    snprintf(out, outlen, "%s", s);
    return;
  }
  head = (width - 1) / 2 + (width - 1) % 2;
  tail = width - 1 - head;
  /* Never half a UTF-8 character on either side of the cut. */
  while(head && ((unsigned char)s[head] & 0xC0) == 0x80)
    head--;
  while(tail && ((unsigned char)s[n - tail] & 0xC0) == 0x80)
    tail--;
  snprintf(out, outlen, "%.*s%s%s", (int)head, s, ell, s + n - tail);
}
