#!/usr/bin/env bash
# mime-split against a bare GMime parse-and-walk of the same files, in the
# same run, on one core: messages/s, MB/s and the ratio of the two.
# Usage: mime_split_bench.sh BUILD_DIR CORPUS_DIR [RUNS]
set -euo pipefail

build=${1:?usage: mime_split_bench.sh BUILD_DIR CORPUS_DIR [RUNS]}
corpus=${2:?usage: mime_split_bench.sh BUILD_DIR CORPUS_DIR [RUNS]}
runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
walker="$build/gmime_walk"

# The baseline is built here, outside `all`: it is no part of the product.
if [ ! -x "$walker" ] || [ "$here/gmime_walk.cpp" -nt "$walker" ]; then
    # shellcheck disable=SC2046
    g++ -std=c++20 -O2 -o "$walker" "$here/gmime_walk.cpp" \
        $(pkg-config --cflags --libs gmime-3.0)
fi

messages=$(find "$corpus" -type f | wc -l)
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""

# best_seconds CMD...: the fastest of $runs wall-clock runs, in seconds.
best_seconds() {
    local best="" start end t
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "$@" >/dev/null
        end=$(date +%s%N)
        t=$(( end - start ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    awk -v ns="$best" 'BEGIN {printf "%.3f", ns / 1e9}'
}

# Warm the page cache so neither side pays for the disk.
cat $(find "$corpus" -type f) >/dev/null 2>&1 || true

walk_s=$(best_seconds $pin "$walker" "$corpus")
split_s=$(best_seconds $pin "$build/mime-split" --json --no-progress "$corpus")

report() {
    awk -v name="$1" -v s="$2" -v n="$messages" -v b="$bytes" 'BEGIN {
        printf "%-22s %8.3f s %10.0f msg/s %8.1f MB/s\n", name, s, n / s, b / s / 1e6
    }'
}
echo "corpus: $messages messages, $bytes bytes, best of $runs runs, one core"
report "gmime parse+walk" "$walk_s"
report "mime-split --json" "$split_s"
awk -v w="$walk_s" -v s="$split_s" 'BEGIN {
    printf "ratio (walk time / mime-split time): %.2f (goal >= 0.80)\n", w / s
}'
