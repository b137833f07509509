# Helpers for wiretap tests: a stream record from a message and an
# envelope, and a configuration with one tap.

# record FILE MAIL_FROM RCPT: writes one stream record to stdout.
record() {
    printf '{"portcullis":1,"size":%d,"id":"q1","mail_from":"%s","rcpt":["%s"]}\n' \
        "$(wc -c <"$1")" "$2" "$3"
    cat "$1"
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
