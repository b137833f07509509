#!/usr/bin/env bash
# SpamAssassin for the spam-score benchmark: local tests only (-L), its
# own Bayes in a private folder trained with sa-learn on the training
# groups, then spamd with one child scores the held-out groups through
# spamc. Writes "label score path" lines to OUT/sa.scores and timings to
# OUT/sa.times. Usage: spam_score_sa.sh CORPUS OUT
set -euo pipefail
corpus=$1 out=$2
mkdir -p "$out/sa/site" "$out/sa/bayes"
cp /etc/spamassassin/*.pre "$out/sa/site/"
cat >"$out/sa/site/local.cf" <<CF
use_bayes 1
bayes_auto_learn 0
bayes_path $out/sa/bayes/bayes
bayes_file_mode 0777
skip_rbl_checks 1
CF

learn_start=$(date +%s.%N)
sa-learn -L --siteconfigpath="$out/sa/site" --spam "$corpus/spam-1" >&2
sa-learn -L --siteconfigpath="$out/sa/site" --ham "$corpus/easy-ham-1" \
    "$corpus/hard-ham-1" >&2
learn_end=$(date +%s.%N)

port=$((20000 + RANDOM % 20000))
spamd -L --siteconfigpath="$out/sa/site" -i 127.0.0.1 -p "$port" \
    --max-children 1 --min-children 1 -r "$out/sa/spamd.pid" \
    -s "$out/sa/spamd.log" -u nobody -x -d
for _ in $(seq 60); do
    spamc -p "$port" -c </dev/null >/dev/null 2>&1 && break
    sleep 1
done
trap 'kill "$(cat "$out/sa/spamd.pid")" 2>/dev/null || true' EXIT

: >"$out/sa.scores"
score_start=$(date +%s.%N)
for group in easy-ham-2 spam-2; do
    label=ham
    [ "${group#spam}" != "$group" ] && label=spam
    for f in "$corpus/$group"/*.txt; do
        s=$(spamc -p "$port" -c <"$f" || true)
        echo "$label ${s%%/*} $f" >>"$out/sa.scores"
    done
done
score_end=$(date +%s.%N)
n=$(wc -l <"$out/sa.scores")
echo "learn_s $(echo "$learn_end - $learn_start" | bc)" >"$out/sa.times"
echo "score_s $(echo "$score_end - $score_start" | bc)" >>"$out/sa.times"
echo "messages $n" >>"$out/sa.times"
