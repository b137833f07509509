#!/usr/bin/env bash
# Throughput of policy-check with every shipped policy over the corpus,
# in messages per second, beside mime-split's on the same messages (the
# parse every content filter pays), so a slow rule shows up as a gap.
# Usage: policy_check.sh BUILD_DIR CORPUS_DIR
set -euo pipefail
build=$(realpath "$1")
corpus=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
share="$here/../../share"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

: >"$work/empty.toml"
policies=()
for p in "$share"/policies/*.toml; do policies+=(--policy "$p"); done
count=$(find "$corpus" -type f -name '*.txt' | wc -l)

# rate NAME COMMAND...: runs the command over the corpus, prints msgs/s.
rate() {
    local name=$1 start end
    shift
    start=$(date +%s.%N)
    "$@" --json --no-progress --config "$work/empty.toml" "$corpus" \
        >"$work/$name.json" 2>/dev/null
    end=$(date +%s.%N)
    awk -v n="$count" -v s="$start" -v e="$end" -v name="$name" \
        'BEGIN { printf "%-14s %6d messages %7.2f s %8.0f messages/s\n",
                 name, n, e - s, n / (e - s) }'
}

rate mime-split "$build/mime-split"
rate policy-check "$build/policy-check" "${policies[@]}" \
    --local-domain example.com
echo "policy-check actions:"
jq -r '.verdicts[0].action' <"$work/policy-check.json" | sort | uniq -c
