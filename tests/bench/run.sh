#!/usr/bin/env bash
# Runs every benchmark in tests/bench/ over the corpus, one after another.
# Usage: run.sh BUILD_DIR CORPUS_DIR
set -uo pipefail
build=$(realpath "$1") corpus=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
status=0
for bench in mime_split_bench.sh av_scan.sh policy_check.sh spam_score_bench.sh; do
    [ -f "$here/$bench" ] || continue
    echo "== $bench"
    bash "$here/$bench" "$build" "$corpus" || status=1
    echo
done
exit $status
