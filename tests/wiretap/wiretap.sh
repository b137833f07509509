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
# run_in does, while LOG can take no more bytes: LOG is filled to 64 KiB
# and files may not grow past that, so each write to it fails with EFBIG
# as it would on a full disk, while smaller files (copies, stdout) are
# written. Ignoring SIGXFSZ makes the write fail rather than kill.
run_with_full_log() {
    local log=$1
    shift
    head -c 65536 /dev/zero >"$log"
    (trap '' XFSZ; ulimit -f 64; exec wiretap "$@" <"$work/in" >"$out" 2>"$err")
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
