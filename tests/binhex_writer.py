"""BinHex 4.0 blocks for the CLI tests, since Debian ships no encoder:
the header, both forks and their CRCs (binascii.crc_hqx is
CRC-16/XMODEM), run-length coded and written in the 64-letter alphabet,
64 to a line, under the line readers look for."""
import base64
import binascii
import struct

ALPHABET = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
_FROM_BASE64 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    ALPHABET)
INTRO = b"(This file must be converted with BinHex 4.0)\n"


def _crc(data):
    return struct.pack(">H", binascii.crc_hqx(data, 0))


def _runs(data):
    # A run of three or more is the byte, 0x90 and the count; a 0x90 of
    # the data is 0x90 0x00.
    out, i = bytearray(), 0
    while i < len(data):
        n = 1
        while i + n < len(data) and data[i + n] == data[i] and n < 255:
            n += 1
        if data[i] == 0x90:
            out += b"\x90\x00"
            n = 1
        elif n >= 3:
            out += bytes([data[i], 0x90, n])
        else:
            out += data[i:i + n]
        i += n
    return bytes(out)


def _sixbit(data):
    # Six bits a letter, first bit first, as base64 packs them: a
    # bomb's megabytes are written in moments that way.
    chars = base64.b64encode(data).rstrip(b"=")
    return chars.translate(_FROM_BASE64)


def binhex(name, data, rsrc=b""):
    """The block for a file: name, data fork and resource fork, as bytes."""
    head = (bytes([len(name)]) + name + b"\0APPLaapl\0\0" +
            struct.pack(">II", len(data), len(rsrc)))
    stream = head + _crc(head) + data + _crc(data) + rsrc + _crc(rsrc)
    chars = _sixbit(_runs(stream))
    lines = b"\n".join(chars[i:i + 64] for i in range(0, len(chars), 64))
    return INTRO + b":" + lines + b":\n"


def _run_chars(fill, count, tail):
    # The fork as runs of 255 fill bytes, each the byte, the marker and
    # the count, written without holding the fork.
    runs = bytearray()
    if fill == 0x90:
        raise ValueError("a run of the marker byte is no run")
    whole, rest = divmod(count, 255)
    runs += bytes([fill, 0x90, 255]) * whole
    if rest >= 3:
        runs += bytes([fill, 0x90, rest])
    else:
        runs += bytes([fill]) * rest
    return bytes(runs) + _runs(tail)


def binhex_bomb(name, fill, count, tail=b""):
    """A block whose data fork is count bytes of fill, then tail, coded
    as runs: a few megabytes of text that decode to hundreds."""
    crc, chunk = 0, bytes([fill]) * (1 << 20)
    for _ in range(count >> 20):
        crc = binascii.crc_hqx(chunk, crc)
    crc = binascii.crc_hqx(bytes([fill]) * (count & ((1 << 20) - 1)), crc)
    crc = binascii.crc_hqx(tail, crc)
    head = (bytes([len(name)]) + name + b"\0APPLaapl\0\0" +
            struct.pack(">II", count + len(tail), 0))
    coded = (_runs(head + _crc(head)) + _run_chars(fill, count, tail) +
             _runs(struct.pack(">H", crc) + _crc(b"")))
    # Runs must not be split from the byte they repeat: the six-bit
    # layer packs the whole stream at once.
    chars = _sixbit(coded)
    lines = b"\n".join(chars[i:i + 64] for i in range(0, len(chars), 64))
    return INTRO + b":" + lines + b":\n"


def bomb_message(count, fill=b" ", tail=b"", attached=True):
    """A message whose BinHex block decodes to count bytes of fill and
    then tail: as an application/mac-binhex40 attachment, or in the
    text of the body."""
    block = binhex_bomb(b"notes.txt", fill[0], count, tail)
    head = (b"From: Owen Park <owen@elsewhere.example.net>\n"
            b"To: Lena Ruiz <lena@example.com>\nSubject: notes\n"
            b"MIME-Version: 1.0\n")
    if not attached:
        return (head + b"Content-Type: text/plain\n\nThe notes follow.\n\n" +
                block)
    return (head + b"Content-Type: multipart/mixed; boundary=hqx\n\n"
            b"--hqx\nContent-Type: text/plain\n\nThe notes are attached.\n"
            b"--hqx\nContent-Type: application/mac-binhex40; "
            b"name=\"notes.hqx\"\n"
            b"Content-Disposition: attachment; filename=\"notes.hqx\"\n\n" +
            block + b"--hqx--\n")


if __name__ == "__main__":
    # binhex_writer.py bomb OUT DECODED_BYTES [text|attached] [TAIL]
    import sys
    if len(sys.argv) < 4 or sys.argv[1] != "bomb":
        sys.exit("usage: binhex_writer.py bomb OUT DECODED_BYTES "
                 "[text|attached] [TAIL]")
    where = sys.argv[4] if len(sys.argv) > 4 else "attached"
    tail = sys.argv[5].encode() if len(sys.argv) > 5 else b""
    with open(sys.argv[2], "wb") as out:
        out.write(bomb_message(int(sys.argv[3]), b" ", tail,
                               where == "attached"))
