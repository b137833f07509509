# Helpers for wiretap tests: a stream record from a message and an
# envelope, and a configuration with one tap.

# record FILE MAIL_FROM RCPT [ID]: writes one stream record to stdout,
# with the id q1 unless ID is given.
record() {
    printf '{"portcullis":1,"size":%d,"id":"%s","mail_from":"%s","rcpt":["%s"]}\n' \
        "$(wc -c <"$1")" "${4:-q1}" "$2" "$3"
    cat "$1"
}

# run_with_full_log LOG ARGS...: runs wiretap with stdin $work/in, as
# run_in does, while LOG is on a disk that is full: LOG is filled to
# 64 KiB and each write past that fails with ENOSPC, as on a full disk
# that the room checks did not see coming (another writer filled it),
# while other files (copies, stdout) are written.
run_with_full_log() {
    local log=$1
    shift
    [ -e "$work/faults.so" ] || build_faults
    head -c 65536 /dev/zero >"$log"
    with_faults FULL_FILE="$log" FULL_AT=65536 \
        wiretap "$@" <"$work/in" >"$out" 2>"$err"
    rc=$?
}

# body_of N FILE: the message bytes of record N (1-based) of a stream.
body_of() {
    python3 - "$1" "$2" <<'PY'
import json, sys
n, data = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
pos = 0
for i in range(n):
    eol = data.index(b'\n', pos)
    env = json.loads(data[pos:eol])
    body = data[eol + 1:eol + 1 + env['size']]
    pos = eol + 1 + env['size']
sys.stdout.buffer.write(body)
PY
}

# envelope_of N FILE: the envelope line of record N of a stream.
envelope_of() {
    python3 - "$1" "$2" <<'PY'
import json, sys
n, data = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
pos = 0
for i in range(n):
    eol = data.index(b'\n', pos)
    env = json.loads(data[pos:eol])
    line = data[pos:eol]
    pos = eol + 1 + env['size']
print(line.decode())
PY
}

