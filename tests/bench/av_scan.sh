#!/usr/bin/env bash
# av-scan beside clamscan over the corpus, with the same signature folder,
# one core each, in the same run: messages/s, the ratio, the engine's load
# time and memory. Usage: av_scan.sh BUILD CORPUS [DB]
set -euo pipefail

build=$(realpath "${1:?usage: av_scan.sh BUILD CORPUS [DB]}")
corpus=$(realpath "${2:?usage: av_scan.sh BUILD CORPUS [DB]}")
db=$(realpath "${3:-$(dirname "$0")/../../share/signatures}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

find "$corpus" -type f -name '*.txt' | sort > "$work/list"
count=$(wc -l < "$work/list")
core=0

# seconds COMMAND...: CPU seconds (user + system) of one run pinned to
# one core; the machine is shared, so CPU time is steadier than the wall
# clock. Max RSS in KiB goes to $work/rss, wall seconds to $work/wall.
seconds() {
    /usr/bin/time -f '%U %S %M %e' -o "$work/time" taskset -c "$core" "$@" \
        >/dev/null 2>"$work/stderr" || {
        cat "$work/stderr" >&2
        return 1
    }
    read -r user sys rss wall < "$work/time"
    echo "$rss" > "$work/rss"
    echo "$wall" > "$work/wall"
    echo "$user + $sys" | bc -l
}

# The engine alone: no message, so the time and memory are the load's.
av_idle=$(seconds "$build/av-scan" --db "$db" --json --no-progress </dev/null)
av_idle_rss=$(cat "$work/rss")
load_ms=$(grep -o 'load_ms=[0-9]*' "$work/stderr" | cut -d= -f2)
signatures=$(grep -o 'signatures=[0-9]*' "$work/stderr" | cut -d= -f2)

echo "av-scan bench: $count messages, signatures $db ($signatures), core $core"
rate() { printf '%.0f' "$(echo "$count / $1" | bc -l)"; }

# Both scanners unpack into a temporary folder per scan; they are timed
# with the same one, on disk and, where there is one, on a tmpfs.
for tmp in "${TMPDIR:-/tmp}" /dev/shm; do
    [ -d "$tmp" ] && [ -w "$tmp" ] || continue
    av=$(seconds "$build/av-scan" --db "$db" --json --no-progress \
        --tmp-dir "$tmp" --state-dir "$work/state" "$corpus")
    av_rss=$(cat "$work/rss") av_wall=$(cat "$work/wall")
    clam=$(seconds clamscan --no-summary -d "$db" --tempdir="$tmp" \
        -f "$work/list")
    clam_rss=$(cat "$work/rss") clam_wall=$(cat "$work/wall")
    av_rate=$(rate "$av") clam_rate=$(rate "$clam")
    ratio=$(printf '%.2f' "$(echo "$av_rate / $clam_rate" | bc -l)")
    echo "temporary files in $tmp:"
    printf '  %-9s %6s msg/s of CPU  %6.2f s CPU  %6.2f s wall  max RSS %6d KiB\n' \
        av-scan "$av_rate" "$av" "$av_wall" "$av_rss" \
        clamscan "$clam_rate" "$clam" "$clam_wall" "$clam_rss"
    echo "  ratio av-scan/clamscan: $ratio (av-scan scans the raw message and two views)"
done
echo "engine load: ${load_ms} ms, max RSS with no message: ${av_idle_rss} KiB"
