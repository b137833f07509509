#!/usr/bin/env bash
# Runs one CLI test: a .test file is a bash script that calls the helpers
# below against the built tools. PORTCULLIS_BIN names the build folder.
# A test passes when the script exits 0; every helper names what failed.
set -uo pipefail

case_file=$(realpath "$1")
case_dir=$(dirname "$case_file")
bin=${PORTCULLIS_BIN:?PORTCULLIS_BIN must name the build folder}
share=${PORTCULLIS_SHARE:-$(dirname "$case_dir")/../share}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$bin:$PATH"
# No test writes into the machine's own state folder (/var/lib/portcullis):
# one a test names, or this one of its own, made when a tool needs it.
export PORTCULLIS_STATE_DIR="$work/default-state"

out="$work/stdout" err="$work/stderr" rc=0
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# skip WHY: this machine cannot run the case; ctest counts status 77 as
# skipped, never as passed.
skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# sanitized TOOL: true when the tool was built with AddressSanitizer,
# whose tests run slower and keep shadow memory. grep reads all of ldd's
# output: "grep -q" stops at the match, ldd may then die of SIGPIPE, and
# with pipefail the test took a sanitizer build for a plain one.
sanitized() {
    ldd "$(command -v "$1")" 2>/dev/null | grep libasan >/dev/null
}

# build_faults [CFLAGS...]: builds faults.c (beside this file) into
# $work/faults.so, which tests preload to make a file system fail in ways
# no test can set up for real: a disk full for one file, a refused link.
# Skips the test without a C compiler.
build_faults() {
    local source
    source=$(dirname "${BASH_SOURCE[0]}")/faults.c
    command -v cc >/dev/null || skip "no C compiler for the faults"
    cc -shared -fPIC "$@" -o "$work/faults.so" "$source" -ldl ||
        skip "cannot build the faults"
}

# with_faults VAR=VALUE... TOOL ARGS...: runs TOOL with faults.so
# preloaded and the fault variables set. Under AddressSanitizer the
# preloaded library comes before its runtime, which it refuses unless
# told that the order is meant.
with_faults() {
    env LD_PRELOAD="$work/faults.so" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$@"
}

# run TOOL ARGS...: runs a tool, keeping stdout, stderr and the status.
run() {
    "$@" >"$out" 2>"$err"
    rc=$?
}

# run_in FILE TOOL ARGS...: as run, with FILE on stdin.
run_in() {
    local input=$1
    shift
    "$@" <"$input" >"$out" 2>"$err"
    rc=$?
}

expect_rc() {
    [ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1; stderr: $(head -c 400 "$err")"
}

# expect_json FILTER VALUE: jq FILTER over stdout (the first JSON value
# of each line, compact) must print VALUE exactly.
expect_json() {
    local got
    got=$(jq -c "$1" <"$out" 2>&1)
    [ "$got" = "$2" ] || fail "jq '$1' gave $got, expected $2"
}

# expect_stdout TEXT: stdout is exactly TEXT (plus a final newline).
expect_stdout() {
    local got
    got=$(cat "$out")
    [ "$got" = "$1" ] || fail "stdout was: $got; expected: $1"
}

expect_stdout_has() {
    grep -qF -- "$1" "$out" || fail "stdout lacks: $1"
}

expect_stderr() {
    local got
    got=$(cat "$err")
    [ "$got" = "$1" ] || fail "stderr was: $got; expected: $1"
}

expect_stderr_has() {
    grep -qF -- "$1" "$err" || fail "stderr lacks: $1; stderr: $(head -c 400 "$err")"
}

# expect_same FILE: stdout is byte for byte FILE.
expect_same() {
    cmp -s "$out" "$1" || fail "stdout differs from $1"
}

# expect_golden REF: stdout as sorted, pretty JSON with timings zeroed
# equals REF; UPDATE_GOLDEN=1 rewrites REF instead.
expect_golden() {
    local ref=$1 normal="$work/normal"
    jq -S '(.. | objects | select(has("elapsed_us"))).elapsed_us |= 0' \
        <"$out" >"$normal" || { fail "stdout is not JSON"; return; }
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$normal" "$ref"
        return
    fi
    diff -u "$ref" "$normal" >&2 || fail "output differs from $ref"
}

cd "$case_dir" || exit 1
# shellcheck source=/dev/null
source "$case_file"
[ "$failures" -eq 0 ] || exit 1
exit 0
