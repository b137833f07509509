#!/usr/bin/env bash
# The demo: the whole filter chain over all 6,046 messages of the public
# SpamAssassin corpus, then the report.
# Usage: run.sh BUILD_DIR CORPUS_DIR OUT_DIR
#
# spam-score learns from the training groups only (easy-ham-1, hard-ham-1,
# spam-1); easy-ham-2 and spam-2 are scored without ever being learned.
set -euo pipefail
build=$(realpath "$1") corpus=$(realpath "$2") out=$3
here=$(cd "$(dirname "$0")" && pwd)
share="$here/../../share"
mkdir -p "$out"
out=$(realpath "$out")
state="$out/state"
# Learned fresh each run: a state learned by an older build holds its
# tokens (spam-score would refuse to learn into it), and relearning the
# same messages into it would count nothing.
rm -rf "$state"
mkdir -p "$state"
# Copies from an earlier run would be counted again.
rm -rf "$out/review" "$out/wiretap-undelivered"
# wiretap never creates a review mailbox: a missing one is a failure that
# it reports, so the demo makes it as an administrator would.
mkdir -p "$out/review/demo-fork/"{cur,new,tmp}
sed "s|@OUT@|$out|g" "$here/portcullis.toml" > "$out/portcullis.toml"
config="$out/portcullis.toml"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "== spam-score learns the training groups"
t0=$(now_ms)
"$build/spam-score" learn --config "$config" --state-dir "$state" \
    --rules-dir "$share/rules" --no-progress --spam "$corpus/spam-1" \
    2> "$out/learn.log"
"$build/spam-score" learn --config "$config" --state-dir "$state" \
    --rules-dir "$share/rules" --no-progress --ham "$corpus/easy-ham-1" \
    "$corpus/hard-ham-1" 2>> "$out/learn.log"
echo "learned in $(( $(now_ms) - t0 )) ms"

echo
echo "== mime-split | av-scan | spam-score | policy-check | wiretap"
common=(--config "$config" --state-dir "$state")
t0=$(now_ms)
"$build/mime-split" "${common[@]}" "$corpus" 2> "$out/mime-split.log" |
    "$build/av-scan" "${common[@]}" --db "$share/signatures" \
        2> "$out/av-scan.log" |
    "$build/spam-score" "${common[@]}" --rules-dir "$share/rules" \
        2> "$out/spam-score.log" |
    "$build/policy-check" "${common[@]}" \
        --policy "$share/policies/default.toml" \
        --wordlists "$share/wordlists" 2> "$out/policy-check.log" |
    "$build/wiretap" "${common[@]}" --json 2> "$out/wiretap.log.stderr" \
        > "$out/verdicts.jsonl"
elapsed=$(( $(now_ms) - t0 ))
count=$(wc -l < "$out/verdicts.jsonl")
echo "$count messages through five filters in $elapsed ms"

echo
echo "== report"
"$build/report" "$out/verdicts.jsonl"

echo
echo "== spam-score by corpus group (held-out: easy-ham-2, spam-2)"
jq -r '[(.id | split("/") | .[-2]),
        (.verdicts[] | select(.tool == "spam-score") | .action)] | @tsv' \
    "$out/verdicts.jsonl" |
    awk -F'\t' '{ n[$1]++; if ($2 != "pass") hit[$1]++ }
        END { for (g in n) printf "  %-12s %5d messages  %5d flagged (%.1f%%)\n",
              g, n[g], hit[g], 100 * hit[g] / n[g] }' | sort
echo
echo "wiretap copies: $(find "$out/review" -type f -path '*/new/*' 2>/dev/null | wc -l) in $out/review"
echo "verdicts: $out/verdicts.jsonl"
