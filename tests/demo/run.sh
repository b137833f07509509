#!/usr/bin/env bash
# The demo: every tool over all 6,046 messages of the public SpamAssassin
# corpus, then the report. Usage: run.sh BUILD_DIR CORPUS_DIR OUT_DIR
set -euo pipefail
build=$1 corpus=$2 out=$3
mkdir -p "$out"

echo "== mime-split over $corpus"
start=$(date +%s%N)
"$build/mime-split" --json "$corpus" > "$out/verdicts.jsonl"
end=$(date +%s%N)
count=$(wc -l < "$out/verdicts.jsonl")
echo "mime-split: $count messages in $(( (end - start) / 1000000 )) ms"

echo
echo "== report"
"$build/report" "$out/verdicts.jsonl"
