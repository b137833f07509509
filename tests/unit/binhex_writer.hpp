// Writes BinHex 4.0 blocks for tests: the header, forks and CRCs of a
// stream, and its characters under the intro line. Runs are the test's
// own to write, so hostile streams are as easy to make as good ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::test::binhex {

inline const std::string intro =
    "(This file must be converted with BinHex 4.0)\n";

// CRC-16/XMODEM; mime_binhex_test checks it against the published value.
inline uint16_t crc16(std::string_view bytes) {
    unsigned crc = 0;
    for (unsigned char b : bytes) {
        crc ^= b << 8u;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000u ? crc << 1 ^ 0x1021u : crc << 1) & 0xffffu;
    }
    return static_cast<uint16_t>(crc);
}

inline std::string be(uint32_t value, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>(value >> (8 * i) & 0xff);
    return out;
}

// Bytes as a stream without runs: each 0x90 becomes 0x90 0x00.
inline std::string literal(std::string_view bytes) {
    std::string out;
    for (char c : bytes)
        out += c == '\x90' ? std::string("\x90\0", 2) : std::string(1, c);
    return out;
}

// A header for name with the given fork lengths, and its CRC, spoilt
// when told to.
inline std::string header(const std::string& name, uint32_t data_bytes,
                          uint32_t rsrc_bytes, bool good_crc = true) {
    std::string h = static_cast<char>(name.size()) + name +
                    std::string(1, '\0') + "TEXTttxt" + std::string(2, '\0') +
                    be(data_bytes, 4) + be(rsrc_bytes, 4);
    return literal(h + be(crc16(h) ^ (good_crc ? 0 : 1), 2));
}

// A fork and its CRC.
inline std::string fork_bytes(const std::string& bytes) {
    return literal(bytes + be(crc16(bytes), 2));
}

// A decoded stream in BinHex characters, under the intro line, 64 to a
// line; closed with ':' unless told not to.
inline std::string hqx(std::string_view stream, bool close = true) {
    const std::string_view alphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJK"
                                      "LMNPQRSTUVXYZ[`abcdefhijklmpqr";
    std::string chars;
    unsigned bits = 0;
    int count = 0;
    for (unsigned char b : stream) {
        bits = (bits << 8 | b) & 0xffffu;
        for (count += 8; count >= 6; count -= 6)
            chars += alphabet[bits >> (count - 6) & 63];
    }
    if (count > 0)
        chars += alphabet[bits << (6 - count) & 63];
    std::string out = intro + ":";
    for (size_t i = 0; i < chars.size(); i += 64)
        out += chars.substr(i, 64) + (i + 64 < chars.size() ? "\n" : "");
    return out + (close ? ":\n" : "\n");
}

// A header whose forks claim 4 GiB each, then a data fork of 'A' and
// runs of 254 more: three bytes that decode to 254, as often as told.
inline std::string bomb(int runs) {
    std::string stream = header("bomb", 0xffffffff, 0xffffffff) + "A";
    for (int i = 0; i < runs; ++i)
        stream += "\x90\xff";
    return stream;
}

} // namespace portcullis::test::binhex
