/*
 * Timestamps on the wire.  The calendar arithmetic is done here (Howard
 * Hinnant's days-from-civil), not with timegm() and struct tm, so that the
 * result depends on neither the TZ nor the C library.
 */
#include <stddef.h>
#include <stdint.h>

#include "janitor/err.h"
#include "janitor/wire.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  int64_t era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  int64_t era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(unsigned y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
  static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29u : mdays[m - 1];
}

/* Exactly n ASCII digits at *p; advances *p. */
static int digits(const char **p, int n, unsigned *out)
{
  unsigned v = 0;
  for(int i = 0; i < n; i++) {
    char c = (*p)[i];
    if(c < '0' || c > '9')
      return 0;
    v = v * 10 + (unsigned)(c - '0');
  }
  *p += n;
  *out = v;
  return 1;
}

int wire_time_parse(const char *s, int64_t *epoch)
{
  const char *p = s;
  unsigned y, mo, d, h, mi, se, oh = 0, om = 0;
  int sign = 0;
  int64_t t;

  if(!s || !epoch)
    return JAN_EPARSE;
  if(!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
     *p++ != '-' || !digits(&p, 2, &d) || *p++ != 'T' ||
     !digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
     *p++ != ':' || !digits(&p, 2, &se))
    return JAN_EPARSE;
  if(*p == '.') {
    /* A fraction of 1 to 9 digits; whole seconds are kept (truncated). */
    int n = 0;
    p++;
    while(*p >= '0' && *p <= '9' && n < 10) {
      p++;
      n++;
    }
    if(n < 1 || n > 9)
      return JAN_EPARSE;
  }
  if(*p == 'Z') {
    p++;
  }
  else if(*p == '+' || *p == '-') {
    sign = *p++ == '-' ? -1 : 1;
    if(!digits(&p, 2, &oh))
      return JAN_EPARSE;
    if(*p == ':')
      p++;
    if(!digits(&p, 2, &om))
      return JAN_EPARSE;
  }
  else {
    return JAN_EPARSE;
  }
  if(*p != '\0')
    return JAN_EPARSE;
  if(mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
     mi > 59 || se > 59 || oh > 23 || om > 59)
    return JAN_EPARSE;

  t = days_from_civil((int64_t)y, mo, d) * 86400 +
      (int64_t)(h * 3600 + mi * 60 + se);
  /* 12:00+02:00 is 10:00Z: the offset is subtracted. */
  t -= (int64_t)sign * (int64_t)(oh * 3600 + om * 60);
  *epoch = t;
  return JAN_OK;
}

static void put_digits(char *out, unsigned v, int n)
{
  for(int i = n - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

void wire_time_format(int64_t t, char out[21])
{
  /* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
  const int64_t lo = -62167219200LL, hi = 253402300799LL;
  int64_t days, secs, y;
  unsigned m, d;

  if(t < lo)
    t = lo;
  if(t > hi)
    t = hi;
  days = t / 86400;
  secs = t % 86400;
  if(secs < 0) {
    secs += 86400;
    days--;
  }
  civil_from_days(days, &y, &m, &d);
  put_digits(out, (unsigned)y, 4);
  out[4] = '-';
  put_digits(out + 5, m, 2);
  out[7] = '-';
  put_digits(out + 8, d, 2);
  out[10] = 'T';
  put_digits(out + 11, (unsigned)(secs / 3600), 2);
  out[13] = ':';
  put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
  out[16] = ':';
  put_digits(out + 17, (unsigned)(secs % 60), 2);
  out[19] = 'Z';
  out[20] = '\0';
}
