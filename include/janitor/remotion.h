/*
 * Remotion's naming of its AWS resources.
 *
 * Render functions are named by Remotion's speculateFunctionName():
 * "remotion-render-" + <ver> + "-mem<MB>mb-disk<MB>mb-<sec>sec", where <ver>
 * is the Remotion version with '.' and '+' replaced by '-' (and, since
 * 4.0, cut to 10 characters).  Older names ("remotion-render-<hash>",
 * "remotion-render-<date>-<MB>mb-<sec>sec") do not parse: the caller shows
 * them without Remotion details.
 */
#ifndef JANITOR_REMOTION_H
#define JANITOR_REMOTION_H

struct remotion_fn {
  char version[32];         /* rendered, e.g. "4.0.100" or "4.0.0-alph" */
  unsigned memory_mb;       /* 128..10240 */
  unsigned disk_mb;         /* 512..10240 */
  unsigned timeout_s;       /* 1..900 */
};

/*
 * 0 when name is exactly remotion-render-<ver>-mem<M>mb-disk<D>mb-<S>sec,
 * else JAN_EPARSE (out is then zeroed).
 *
 * <ver> is 1..31 characters of [0-9a-z-] that starts with three groups of
 * digits separated by '-' (major, minor, patch).  Since the name does not
 * say which '-' was a '.', a '+' or a '-', the version is rendered thus:
 * the three digit groups are joined by '.', and whatever follows the third
 * group is kept verbatim, '-' included: "4-0-100" → "4.0.100",
 * "4-0-100-bet" → "4.0.100-bet", "3-0-0-lambda-12" → "3.0.0-lambda-12".
 * The numbers are decimal without sign or leading zero, within the ranges
 * Lambda allows (memory 128..10240, disk 512..10240, timeout 1..900).
 */
int remotion_parse_function_name(const char *name, struct remotion_fn *out);

#endif
