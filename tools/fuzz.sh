#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, in build-fuzz/) and runs each for a given time:
#   tools/fuzz.sh [seconds] [target...]      (default 60 s, every target; names without fuzz_)
# FUZZ_PARALLEL=N runs N targets at once (default 1). FUZZ_RUNS=N runs each target for N inputs
# instead of a time (-runs=N; seconds then ignored). FUZZ_NICE=N runs the fuzzers under nice -n N
# (only idle CPU on a shared machine). FUZZ_NOBUILD=1 skips the build. Each target starts from its
# seeds (the protocol vectors and tools/fuzz-seeds/<target>, crashes found so far among them) and
# keeps what it finds in build-fuzz/fuzz-corpus/<target>. Prints runs, runs/s, CPU seconds and runs
# per CPU second per target; fails on any crash, leak, timeout (-timeout=10) or out-of-memory
# (-rss_limit_mb=2048), whose input is left in build-fuzz/fuzz-artifacts/ (add it to
# tools/fuzz-seeds/<target>/ once fixed: a regression seed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
parallel=${FUZZ_PARALLEL:-1}
runs_goal=${FUZZ_RUNS:-}
nice_level=${FUZZ_NICE:-0}
dir=build-fuzz

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (Debian package clang)" >&2; exit 2; }
if [ -z "${FUZZ_NOBUILD:-}" ]; then
  CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNB_FUZZ=ON -DNB_TESTS=OFF >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target fuzz >/dev/null
fi
# a run count bounds the run instead of the time
if [ -n "$runs_goal" ]; then
  limit=(-runs="$runs_goal")
  what="$runs_goal runs"
else
  limit=(-max_total_time="$seconds")
  what="${seconds}s"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    targets+=("${t#fuzz_}")
  done
fi

mkdir -p "$dir/fuzz-artifacts" "$dir/fuzz-logs"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {
  local t=$1 corpus="$dir/fuzz-corpus/$1"
  mkdir -p "$corpus"
  # the corpus first: libFuzzer adds what it finds there, the seeds stay as built. The CPU time
  # is kept too: on a shared machine runs per CPU second say what the target costs, runs/s only
  # what the machine had spare.
  local TIMEFORMAT='%U %S'
  { time nice -n "$nice_level" "$dir/tests/fuzz/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/$t-" "$corpus" "$dir/fuzz-seeds/$t" \
      >"$dir/fuzz-logs/$t.log" 2>&1; } 2>"$dir/fuzz-logs/$t.cpu"
}

declare -A pids
for t in "${targets[@]}"; do
  [ -x "$dir/tests/fuzz/fuzz_$t" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  echo "fuzzing $t for $what"
  run_one "$t" &
  pids[$t]=$!
done

rc=0
printf '%-16s %12s %10s %8s %8s %10s  %s\n' target runs runs/s seconds cpu-s runs/cpu-s result
for t in "${targets[@]}"; do
  status=0
  wait "${pids[$t]}" || status=$?
  log="$dir/fuzz-logs/$t.log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cpu=$(awk '{printf "%d", $1 + $2 + 0.5}' "$dir/fuzz-logs/$t.cpu" 2>/dev/null || true)
  cpu_rate=
  [ -n "$runs" ] && [ "${cpu:-0}" -gt 0 ] && cpu_rate=$((runs / cpu))
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $status): see $log"
    rc=1
  fi
  printf '%-16s %12s %10s %8s %8s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "${secs:-?}" "${cpu:-?}" "${cpu_rate:-?}" \
    "$result"
  if [ "$status" -ne 0 ]; then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -5 | sed 's/^/    /'
  fi
done
exit $rc
