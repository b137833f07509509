#!/usr/bin/env bash
# mime-split against a bare GMime parse-and-walk of the same files, in the
# same run, on one core: messages/s, MB/s and the ratio of the two; and
# the parse library alone, to tell the parse from the tool around it.
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
# The library alone, linked against the build's own static library.
library="$build/mime_parse_walk"
if [ ! -x "$library" ] || [ "$here/mime_parse_walk.cpp" -nt "$library" ] ||
    [ "$build/libportcullis.a" -nt "$library" ]; then
    # shellcheck disable=SC2046
    g++ -std=c++20 -O2 -I"$here/../../lib" -o "$library" \
        "$here/mime_parse_walk.cpp" "$build/libportcullis.a" \
        $(pkg-config --cflags --libs gmime-3.0) -lfmt -lcrypto
fi

messages=$(find "$corpus" -type f ! -name '.*' | wc -l)
bytes=$(find "$corpus" -type f ! -name '.*' -printf '%s\n' |
    awk '{s += $1} END {print s}')
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""

# best CMD...: the fastest of $runs runs as "cpu_seconds wall_seconds".
# CPU time (user + system) is the figure compared: on a shared machine
# wall time mostly measures the neighbours.
best() {
    local out="$(mktemp)" line best_cpu="" best_wall=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%U %S %e' -o "$out" "$@" >/dev/null
        line=$(tail -1 "$out")
        read -r user sys wall <<<"$line"
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}')
        if [ -z "$best_cpu" ] ||
            awk -v a="$cpu" -v b="$best_cpu" 'BEGIN {exit !(a < b)}'; then
            best_cpu=$cpu best_wall=$wall
        fi
    done
    rm -f "$out"
    echo "$best_cpu $best_wall"
}

# Warm the page cache so neither side pays for the disk.
find "$corpus" -type f -exec cat {} + >/dev/null

read -r walk_cpu walk_wall <<<"$(best $pin "$walker" "$corpus")"
read -r library_cpu library_wall <<<"$(best $pin "$library" "$corpus")"
read -r split_cpu split_wall <<<"$(best $pin "$build/mime-split" --json \
    --no-progress "$corpus")"

report() {
    awk -v name="$1" -v s="$2" -v w="$3" -v n="$messages" -v b="$bytes" '
    BEGIN {
        printf "%-22s cpu %6.3f s  %7.0f msg/s  %6.1f MB/s   (wall %.3f s)\n",
            name, s, n / s, b / s / 1e6, w
    }'
}
echo "corpus: $messages messages, $bytes bytes; best of $runs runs on one core"
report "gmime parse+walk" "$walk_cpu" "$walk_wall"
report "mime::parse + sha256" "$library_cpu" "$library_wall"
report "mime-split --json" "$split_cpu" "$split_wall"
awk -v w="$walk_cpu" -v l="$library_cpu" -v s="$split_cpu" 'BEGIN {
    printf "ratio (walk cpu / mime-split cpu): %.2f (goal 0.80)\n", w / s
    printf "ratio (walk cpu / library cpu):    %.2f\n", w / l
}'
