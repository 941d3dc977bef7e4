#include "run_code.h"

int run_code_combine(const int *codes, size_t n)
{
  int first = n ? codes[0] : EXIT_OK, alike = 1, guard = 0, any = 0;

  for(size_t i = 0; i < n; i++) {
    alike &= codes[i] == first;
    guard |= codes[i] == EXIT_GUARD;
    any |= codes[i] != EXIT_OK;
  }
  if(!any || alike)
    return first;
  return guard ? EXIT_GUARD : EXIT_INCOMPLETE;
}
