#!/bin/sh
# The long fuzz campaign: every target in turn, JOBS libFuzzer processes
# each (-jobs/-workers), SECONDS per process, niced so that builds on the
# same machine keep going.  The corpus of each target is kept between runs
# (OUT/TARGET/corpus) and grows from the seeds in tests/fuzz/corpus.
#
# At the end a table gives, per target: the executions of all its
# processes, the coverage of the whole corpus (cov: and ft: as libFuzzer
# counts them, from a final pass over the corpus), the corpus size (corp:
# the inputs that pass keeps, files: all the files in the corpus), and
# the findings (crash-, leak-, timeout- and oom- files in OUT/TARGET/
# artifacts).  The table is also written to OUT/summary.txt.  The exit
# status is 1 when anything was found.
#
# usage: run-campaign.sh [-t SECONDS] [-j JOBS] [-b BUILD_DIR] [-o OUT]
#                        [TARGET...]
#   -t  seconds per process (default 600)
#   -j  parallel libFuzzer processes per target (default 2)
#   -b  the FUZZ=ON build directory, or its tests/fuzz (default build-fuzz)
#   -o  where corpora, artifacts and logs go (default BUILD_DIR/fuzz-campaign)
#   TARGET  names without "fuzz_" (default: every fuzz_* built)
# FUZZ_ARGS adds libFuzzer flags; FUZZ_NICE sets the nice level (10).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=600
jobs=2
bdir="$src/build-fuzz"
out=

while getopts t:j:b:o: opt; do
  case $opt in
    t) secs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    b) bdir=$OPTARG ;;
    o) out=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-j JOBS] [-b BUILD_DIR] [-o OUT]" \
            "[TARGET...]" >&2
       exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# Absolute: the processes run in their log directory.
bdir=$(cd "$bdir" && pwd)
root=$bdir
if [ -d "$bdir/tests/fuzz" ]; then
  bdir="$bdir/tests/fuzz"
fi
out=${out:-$root/fuzz-campaign}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ $# -eq 0 ]; then
  for f in "$bdir"/fuzz_*; do
    [ -x "$f" ] && [ -f "$f" ] && set -- "$@" "${f##*/fuzz_}"
  done
fi
if [ $# -eq 0 ]; then
  echo "campaign: no fuzz targets in $bdir (build with -DFUZZ=ON)" >&2
  exit 2
fi

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
nicelvl=${FUZZ_NICE:-10}

summary="$out/summary.txt"
{
  echo "# fuzz campaign $(date -u +%Y-%m-%dT%H:%M:%SZ): ${secs}s x ${jobs}" \
       "process(es) per target"
  printf '%-12s %7s %12s %6s %7s %6s %7s %8s\n' target seconds execs cov \
    ft corp files findings
} >"$summary"
cat "$summary"

found_any=0
for t in "$@"; do
  bin="$bdir/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "campaign: $bin is missing" >&2
    found_any=1
    continue
  fi
  d="$out/$t"
  mkdir -p "$d/corpus" "$d/artifacts" "$d/logs"
  rm -f "$d"/logs/fuzz-*.log
  dictarg=
  [ -f "$here/dict/$t.dict" ] && dictarg="-dict=$here/dict/$t.dict"
  start=$(date +%s)
  # -jobs writes one log per process (fuzz-N.log) in the current
  # directory; the processes share the corpus directory and pick up each
  # other's finds (-reload).  A crash ends only its own process.
  # shellcheck disable=SC2086
  (cd "$d/logs" &&
   nice -n "$nicelvl" "$bin" -jobs="$jobs" -workers="$jobs" \
     -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 -artifact_prefix="$d/artifacts/" \
     ${FUZZ_ARGS:-} ${dictarg:+"$dictarg"} "$d/corpus" "$here/corpus/$t" \
     >"$d/logs/main.log" 2>&1) || true
  elapsed=$(( $(date +%s) - start ))

  execs=0
  for log in "$d"/logs/fuzz-*.log; do
    [ -f "$log" ] || continue
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$n" ]; then
      # A process that crashed prints no final stats: its last status line.
      n=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
    fi
    execs=$((execs + ${n:-0}))
  done

  # The coverage of the whole corpus, seeds included: one pass, no
  # mutation.
  (cd "$d/logs" && "$bin" -runs=0 "$d/corpus" "$here/corpus/$t" \
     >"$d/logs/final.log" 2>&1) || true
  covft=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$d/logs/final.log" | tail -n 1)
  cov=$(echo "$covft" | awk '{print $2}')
  ft=$(echo "$covft" | awk '{print $4}')
  corp=$(grep -o 'INITED .*corp: [0-9]*' "$d/logs/final.log" | tail -n 1 |
         sed 's/.*corp: //')
  files=$(find "$d/corpus" -type f | wc -l)
  findings=$(find "$d/artifacts" -type f \( -name 'crash-*' -o \
             -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
             wc -l)
  [ "$findings" -eq 0 ] || found_any=1
  printf '%-12s %7s %12s %6s %7s %6s %7s %8s\n' "$t" "$elapsed" "$execs" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$files" "$findings" |
    tee -a "$summary"
done

if [ "$found_any" -ne 0 ]; then
  echo "campaign: findings in $out/*/artifacts (logs in $out/*/logs)" >&2
  exit 1
fi
echo "campaign: no findings; summary in $summary"
