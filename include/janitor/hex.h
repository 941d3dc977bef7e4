/*
 * The value of one hexadecimal digit (either case), or -1: the one reader
 * of %XX (SigV4's canonical forms, S3's url-encoded listings) and of
 * \xHH / \udcXX escapes (untrusted.c).
 */
#ifndef JANITOR_HEX_H
#define JANITOR_HEX_H

static inline int jan_hex_value(int c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

#endif
