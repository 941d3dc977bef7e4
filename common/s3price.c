/*
 * S3 Standard list prices (s3price.h): USD per GB-month, first 50 TB,
 * as published for each region in S3_PRICE_DATE.  Update the figures and
 * the date together.
 */
#include <string.h>

#include "janitor/s3price.h"

#define BYTES_PER_GB 1e9

static const struct {
  const char *region;
  double usd;
} prices[] = {
  { "us-east-1", 0.023 },      { "us-east-2", 0.023 },
  { "us-west-1", 0.026 },      { "us-west-2", 0.023 },
  { "af-south-1", 0.0274 },    { "ap-east-1", 0.025 },
  { "ap-south-1", 0.025 },     { "ap-northeast-1", 0.025 },
  { "ap-northeast-2", 0.025 }, { "ap-northeast-3", 0.025 },
  { "ap-southeast-1", 0.025 }, { "ap-southeast-2", 0.025 },
  { "ap-southeast-4", 0.025 }, { "ap-southeast-5", 0.025 },
  { "ca-central-1", 0.025 },   { "eu-central-1", 0.0245 },
  { "eu-central-2", 0.0265 },  { "eu-west-1", 0.023 },
  { "eu-west-2", 0.024 },      { "eu-west-3", 0.024 },
  { "eu-south-1", 0.024 },     { "eu-north-1", 0.023 },
  { "sa-east-1", 0.0405 },
};

double s3_price_usd_gb_month(const char *region)
{
  for(size_t i = 0; i < sizeof(prices) / sizeof(*prices); i++)
    if(!strcmp(prices[i].region, region))
      return prices[i].usd;
  return -1;
}

double s3_estimate_monthly_usd(const char *region, int64_t bytes)
{
  double p = s3_price_usd_gb_month(region);
  if(p < 0 || bytes < 0)
    return -1;
  return (double)bytes / BYTES_PER_GB * p;
}
