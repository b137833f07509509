#!/usr/bin/env bash
# spam-score beside SpamAssassin and bogofilter, in one run: each learns
# from easy-ham-1, hard-ham-1 and spam-1 only, then scores the held-out
# easy-ham-2 and spam-2. Prints catch rate and false positives at each
# tool's default threshold, the best catch rate at zero false positives,
# messages/s per core (batch and stream) and spam-score's peak memory.
# Usage: spam_score_bench.sh BUILD_DIR CORPUS_DIR
set -euo pipefail

build=$(realpath "${1:?usage: spam_score_bench.sh BUILD_DIR CORPUS_DIR}")
corpus=$(realpath "${2:?usage: spam_score_bench.sh BUILD_DIR CORPUS_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
share=$(cd "$here/../../share" && pwd)
tool="$build/spam-score"
work=$(mktemp -d /tmp/spam-score-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
metrics="python3 $here/spam_score_metrics.py"
train_spam="$corpus/spam-1"
train_ham=("$corpus/easy-ham-1" "$corpus/hard-ham-1")
held_out=("$corpus/easy-ham-2" "$corpus/spam-2")
messages=$(find "${held_out[@]}" -type f -name '*.txt' | wc -l)

# cpu CMD...: runs CMD with its output to the files the caller redirects,
# and appends "cpu_seconds wall_seconds peak_kib" to $work/time.
cpu() {
    local rc=0
    /usr/bin/time -o "$work/time.one" -f '%U %S %e %M' "$@" || rc=$?
    awk '{printf "%.3f %.3f %d\n", $1 + $2, $3, $4}' "$work/time.one" \
        >>"$work/time"
    return "$rc"
}
last_time() { tail -1 "$work/time"; }
label_of() { case $1 in */spam-*) echo spam ;; *) echo ham ;; esac; }

echo "spam-score benchmark: train on spam-1 + easy-ham-1 + hard-ham-1," \
    "score easy-ham-2 + spam-2 ($messages messages)"

# --- spam-score ---------------------------------------------------------
state="$work/ours"
cpu "$tool" learn --spam --no-progress --state-dir "$state" \
    "$train_spam" 2>/dev/null
cpu "$tool" learn --ham --no-progress --state-dir "$state" \
    "${train_ham[@]}" 2>/dev/null
cpu "$tool" --json --no-progress --rules-dir "$share/rules" \
    --state-dir "$state" "${held_out[@]}" >"$work/ours.json" 2>/dev/null
read -r ours_cpu ours_wall ours_kib <<<"$(last_time)"
jq -r '[.id, .verdicts[0].score] | @tsv' "$work/ours.json" |
    while IFS=$'\t' read -r id score; do
        echo "$(label_of "$id") $score $id"
    done >"$work/ours.scores"

# Before Bayes has learned enough (or with --no-bayes) the rules are
# judged by their scores without Bayes: how much do they catch alone?
"$tool" --json --no-progress --no-bayes --rules-dir "$share/rules" \
    --state-dir "$state" "${held_out[@]}" 2>/dev/null |
    jq -r '[.id, .verdicts[0].score] | @tsv' |
    while IFS=$'\t' read -r id score; do
        echo "$(label_of "$id") $score $id"
    done >"$work/ours-no-bayes.scores"

# Stream mode: the same messages as stream records on stdin.
python3 - "$work/stream" "${held_out[@]}" <<'PY'
import json, os, sys
with open(sys.argv[1], "wb") as out:
    for folder in sys.argv[2:]:
        for name in sorted(os.listdir(folder)):
            data = open(os.path.join(folder, name), "rb").read()
            head = {"portcullis": 1, "size": len(data), "id": name,
                    "rcpt": ["user@example.org"]}
            out.write(json.dumps(head).encode() + b"\n" + data)
PY
cpu "$tool" --no-progress --rules-dir "$share/rules" --state-dir "$state" \
    <"$work/stream" >/dev/null 2>/dev/null
read -r stream_cpu stream_wall stream_kib <<<"$(last_time)"

# --- bogofilter ---------------------------------------------------------
bogo="$work/bogo"
mkdir -p "$bogo"
bogofilter -d "$bogo" -s -B "$train_spam"
bogofilter -d "$bogo" -n -B "${train_ham[@]}"
# bogofilter exits 0 spam, 1 ham, 2 unsure; only 3 is an error.
cpu bogofilter -d "$bogo" -T -B "${held_out[@]}" >"$work/bogo.out" ||
    [ $? -lt 3 ]
read -r bogo_cpu bogo_wall _ <<<"$(last_time)"
awk '{print $1, $3}' "$work/bogo.out" | while read -r id score; do
    echo "$(label_of "$id") $score $id"
done >"$work/bogo.scores"

# --- SpamAssassin (slow: local tests only, its own Bayes) ---------------
sa_sample=${SA_SAMPLE:-500}
bash "$here/spam_score_sa.sh" "$corpus" "$work/sa" "$sa_sample" \
    >"$work/sa.log" 2>&1 || {
    echo "spamassassin: failed, see its log:" >&2
    tail -5 "$work/sa.log" >&2
}

echo
echo "accuracy on the held-out groups (threshold: each tool's default)"
$metrics "spam-score (5.0)" 5.0 "$work/ours.scores"
$metrics "spam-score --no-bayes (5.0)" 5.0 "$work/ours-no-bayes.scores"
if [ -s "$work/sa/sa.scores" ]; then
    echo "(spamassassin: seeded random sample of $sa_sample held-out" \
        "messages, seed 42; SA_SAMPLE=0 scores all, about 25 minutes)"
    $metrics "spamassassin (5.0)" 5.0 "$work/sa/sa.scores"
fi
$metrics "bogofilter (0.99)" 0.99 "$work/bogo.scores"

echo
echo "speed (CPU seconds; messages/s per core = messages / CPU seconds)"
awk -v n="$messages" -v c="$ours_cpu" -v w="$ours_wall" \
    'BEGIN {printf "spam-score batch   %7.0f msg/s per core  (%.1f s CPU, %.1f s wall)\n", n / c, c, w}'
awk -v n="$messages" -v c="$stream_cpu" -v w="$stream_wall" \
    'BEGIN {printf "spam-score stream  %7.0f msg/s per core  (%.1f s CPU, %.1f s wall)\n", n / c, c, w}'
awk -v n="$messages" -v c="$bogo_cpu" \
    'BEGIN {printf "bogofilter batch   %7.0f msg/s per core  (%.1f s CPU)\n", n / c, c}'
if [ -s "$work/sa/sa.times" ]; then
    awk '$1 == "messages" {n = $2} $1 == "score_s" {s = $2}
        END {printf "spamd/spamc        %7.1f msg/s (one spamd child, wall clock)\n", n / s}' \
        "$work/sa/sa.times"
fi
echo "spam-score peak memory: batch $((ours_kib / 1024)) MiB, stream $((stream_kib / 1024)) MiB"
