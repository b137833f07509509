// Lenient base64: every byte is looked up once in a table; a byte outside
// the alphabet is skipped and counted. Padding ends a quantum, not the
// text, because concatenated base64 blocks decode that way in MUAs; but
// after padding, a line with junk is a footer and is skipped whole.
#include "mail/base64.hpp"

#include <algorithm>

#include <array>
#include <cstdint>

namespace portcullis::mime {

namespace {

constexpr int8_t skip = -1;
constexpr int8_t space = -2;
constexpr int8_t pad = -3;

constexpr std::array<int8_t, 256> make_table() {
    std::array<int8_t, 256> table{};
    for (auto& entry : table)
        entry = skip;
    const char* alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    for (char c : {' ', '\t', '\r', '\n', '\f', '\v'})
        table[static_cast<unsigned char>(c)] = space;
    table['='] = pad;
    return table;
}

constexpr std::array<int8_t, 256> table = make_table();

} // namespace

namespace {

// After the padding that ends the data, a line is only more data when it
// is clean base64; a list footer ("-- sent via ...") is not.
bool clean_line(std::string_view text, size_t pos) {
    for (; pos < text.size() && text[pos] != '\n'; ++pos) {
        if (table[static_cast<unsigned char>(text[pos])] == skip)
            return false;
    }
    return true;
}

size_t line_end(std::string_view text, size_t pos) {
    size_t eol = text.find('\n', pos);
    return eol == std::string_view::npos ? text.size() : eol;
}

} // namespace

Base64Stats decode_base64(std::string_view text, std::string& out,
                          size_t max_out) {
    Base64Stats stats;
    // A partial quantum at the end gives up to two bytes more.
    size_t most = text.size() / 4 * 3 + 2;
    size_t limit = out.size() + (max_out < most ? max_out + 1 : most);
    out.reserve(limit);
    // Bytes past the limit are dropped as they come; the loop reads on.
    auto put = [&](uint32_t byte) {
        if (out.size() < limit)
            out.push_back(static_cast<char>(byte));
    };
    uint32_t bits = 0;
    int count = 0;
    bool padded = false;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        int8_t v = table[c];
        if (padded && c == '\n' && !clean_line(text, i + 1)) {
            size_t end = line_end(text, i + 1);
            stats.garbage_bytes += end - i - 1;
            i = end - 1;
            continue;
        }
        if (v >= 0) {
            if (padded)
                stats.data_after_padding = true;
            padded = false;
            bits = (bits << 6) | static_cast<uint32_t>(v);
            if (++count == 4) {
                put(bits >> 16);
                put(bits >> 8);
                put(bits);
                bits = 0;
                count = 0;
            }
            continue;
        }
        if (v == pad) {
            // A partial quantum ends here: flush what it holds.
            if (count == 2)
                put(bits >> 4);
            if (count == 3) {
                put(bits >> 10);
                put(bits >> 2);
            }
            padded = padded || count >= 2;
            bits = 0;
            count = 0;
            continue;
        }
        if (v == skip)
            ++stats.garbage_bytes;
    }
    if (count == 2)
        put(bits >> 4);
    if (count == 3) {
        put(bits >> 10);
        put(bits >> 2);
    }
    return stats;
}

std::string encode_base64(std::string_view bytes) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        size_t left = bytes.size() - i;
        uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
        if (left > 1)
            group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        if (left > 2)
            group |= static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[group >> 18 & 63];
        out += alphabet[group >> 12 & 63];
        out += left > 1 ? alphabet[group >> 6 & 63] : '=';
        out += left > 2 ? alphabet[group & 63] : '=';
    }
    return out;
}

} // namespace portcullis::mime
