"""BinHex 4.0 blocks for the CLI tests, since Debian ships no encoder:
the header, both forks and their CRCs (binascii.crc_hqx is
CRC-16/XMODEM), run-length coded and written in the 64-letter alphabet,
64 to a line, under the line readers look for."""
import binascii
import struct

ALPHABET = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
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
    out, bits, count = bytearray(), 0, 0
    for b in data:
        bits, count = bits << 8 | b, count + 8
        while count >= 6:
            count -= 6
            out.append(ALPHABET[bits >> count & 63])
    if count:
        out.append(ALPHABET[bits << (6 - count) & 63])
    return bytes(out)


def binhex(name, data, rsrc=b""):
    """The block for a file: name, data fork and resource fork, as bytes."""
    head = (bytes([len(name)]) + name + b"\0APPLaapl\0\0" +
            struct.pack(">II", len(data), len(rsrc)))
    stream = head + _crc(head) + data + _crc(data) + rsrc + _crc(rsrc)
    chars = _sixbit(_runs(stream))
    lines = b"\n".join(chars[i:i + 64] for i in range(0, len(chars), 64))
    return INTRO + b":" + lines + b":\n"
