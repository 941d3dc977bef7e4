#!/bin/sh
# Run every fuzz target for a short while over its seed corpus (CI).
# Fails when any target crashes, leaks, times out on an input or breaks an
# invariant; the input that did it is kept and its path printed.
#
# usage: smoke.sh [-t SECONDS] [-b BUILD_DIR] [TARGET...]
#   -t  seconds per target (default 30)
#   -b  the FUZZ=ON build directory, or its tests/fuzz (default build-fuzz)
#   TARGET  names without "fuzz_" (default: every fuzz_* built)
# Extra libFuzzer flags can be passed in FUZZ_ARGS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=30
bdir="$src/build-fuzz"

while getopts t:b: opt; do
  case $opt in
    t) secs=$OPTARG ;;
    b) bdir=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-b BUILD_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [ -d "$bdir/tests/fuzz" ]; then
  bdir="$bdir/tests/fuzz"
fi
if [ $# -eq 0 ]; then
  for f in "$bdir"/fuzz_*; do
    [ -x "$f" ] && [ -f "$f" ] && set -- "$@" "${f##*/fuzz_}"
  done
fi
if [ $# -eq 0 ]; then
  echo "smoke: no fuzz targets in $bdir (build with -DFUZZ=ON)" >&2
  exit 2
fi

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX")
failed=0
printf '%-12s %10s %6s %7s  %s\n' target execs cov ft result
for t in "$@"; do
  bin="$bdir/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "smoke: $bin is missing" >&2
    failed=1
    continue
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  dictarg=
  [ -f "$here/dict/$t.dict" ] && dictarg="-dict=$here/dict/$t.dict"
  rc=0
  # New inputs go to the scratch corpus (first directory), never to the
  # seed corpus in the source tree.
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
    ${FUZZ_ARGS:-} ${dictarg:+"$dictarg"} "$work/$t/corpus" "$here/corpus/$t" \
    >"$work/$t/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" |
          tail -n 1)
  covft=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$work/$t/log" | tail -n 1)
  cov=$(echo "$covft" | awk '{print $2}')
  ft=$(echo "$covft" | awk '{print $4}')
  found=$(find "$work/$t/artifacts" -type f | head -n 1)
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    result="FAIL (exit $rc${found:+, $found})"
    failed=1
  else
    result=ok
  fi
  printf '%-12s %10s %6s %7s  %s\n' "$t" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$result"
  if [ "$result" != ok ]; then
    echo "---- fuzz_$t log (tail) ----"
    tail -n 40 "$work/$t/log"
    echo "----"
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "smoke: FAILED; logs and inputs kept in $work" >&2
  exit 1
fi
rm -rf "$work"
echo "smoke: all targets ran ${secs}s without a finding"
