#include <stdio.h>

#include "janitor/log.h"

int main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  jlog_init(JLOG_INFO);
  printf("remotion-janitor %s\n", JAN_VERSION);
  return 0;
}
