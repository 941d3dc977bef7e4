/*
 * S3 Standard storage list prices per region (s3price.c), for the storage
 * report's monthly estimate.  A table in the source, dated: an estimate,
 * never a bill (no tiers past the first 50 TB, no requests, no transfer,
 * no other storage classes, no taxes or discounts).
 */
#ifndef JANITOR_S3PRICE_H
#define JANITOR_S3PRICE_H

#include <stdint.h>

/* The date the table was taken from the public price list. */
#define S3_PRICE_DATE "2024-06"

/* USD per GB-month (GB = 10^9 bytes, as AWS bills) of S3 Standard, first
 * tier, in region; a region not in the table: -1. */
double s3_price_usd_gb_month(const char *region);
/* The monthly estimate for bytes in region, in USD; -1 when the region is
 * not in the table. */
double s3_estimate_monthly_usd(const char *region, int64_t bytes);

#endif
