#!/bin/sh
# run_target.sh BINARY CORPUS SECONDS MAX_LEN WORKDIR [DICT]
# The fuzz.* ctest tests: replays every input of CORPUS (the committed seeds), then
# fuzzes for SECONDS on one core. New inputs and any crashing input are written under
# WORKDIR (emptied first), never into CORPUS. Exit status: libFuzzer's (0 = nothing found).
set -eu
bin=$1 corpus=$2 seconds=$3 max_len=$4 work=$5 dict=${6:-}
rm -rf "$work"
mkdir -p "$work/new" "$work/artifacts"
set -- -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/"
[ -z "$dict" ] || set -- "$@" -dict="$dict"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$bin" "$@" "$work/new" "$corpus"
