// Charset conversion with iconv, and the RFC 2047 decoder and encoder.
// Adjacent encoded-words in one charset are joined before conversion,
// because mailers split multi-byte characters across words.
#include "mail/charset.hpp"

#include "core/strings.hpp"
#include "mail/base64.hpp"

#include <iconv.h>
#include <strings.h>

#include <algorithm>
#include <cerrno>

namespace portcullis::mime {

namespace {

bool passes_unchanged(std::string_view charset) {
    for (const char* same : {"", "us-ascii", "utf-8", "utf8", "ascii"}) {
        std::string_view s(same);
        if (charset.size() == s.size() &&
            strncasecmp(charset.data(), same, s.size()) == 0)
            return true;
    }
    return false;
}

// Closes an iconv descriptor at scope end.
struct Iconv {
    iconv_t cd;
    ~Iconv() {
        if (cd != reinterpret_cast<iconv_t>(-1))
            iconv_close(cd);
    }
};

std::string decode_q(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '_') {
            out.push_back(' ');
            continue;
        }
        if (c == '=' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(text[i + 1]) << 4 |
                                            hex_digit(text[i + 2])));
            i += 2;
            continue;
        }
        out.push_back(c);
    }
    return out;
}

// One encoded-word found in text: where it is and what it holds.
struct EncodedWord {
    size_t begin = 0;
    size_t end = 0;
    std::string charset;
    bool base64 = false;
    std::string_view payload;
};

// Longer than RFC 2047's 75 octets, as mailers break the rule, but short
// enough that text full of "=?" stays linear to scan.
constexpr size_t max_word_bytes = 1024;

bool parse_word(std::string_view whole, size_t at, EncodedWord& word) {
    std::string_view text = whole.substr(0, at + max_word_bytes);
    size_t q1 = text.find('?', at + 2);
    if (q1 == std::string_view::npos || q1 + 3 > text.size() ||
        text[q1 + 2] != '?')
        return false;
    char encoding = text[q1 + 1];
    if (encoding != 'B' && encoding != 'b' && encoding != 'Q' &&
        encoding != 'q')
        return false;
    size_t close = text.find("?=", q1 + 3);
    if (close == std::string_view::npos)
        return false;
    std::string_view charset = text.substr(at + 2, q1 - at - 2);
    std::string_view payload = text.substr(q1 + 3, close - q1 - 3);
    // Blanks break RFC 2047's rule, but readers (Thunderbird, Python)
    // decode such a word all the same; only control characters end it.
    if (charset.empty() || charset.find_first_of(" \t") != charset.npos ||
        std::any_of(payload.begin(), payload.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20;
        }))
        return false;
    word.begin = at;
    word.end = close + 2;
    // RFC 2231 section 5 lets a language follow the charset: utf-8*en.
    word.charset = std::string(charset.substr(0, charset.find('*')));
    word.base64 = encoding == 'B' || encoding == 'b';
    word.payload = payload;
    return true;
}

bool only_space(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

} // namespace

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    if (passes_unchanged(charset))
        return std::string(bytes);
    Iconv conv{iconv_open("UTF-8", std::string(charset).c_str())};
    if (conv.cd == reinterpret_cast<iconv_t>(-1))
        return std::string(bytes);
    std::string out;
    char buffer[1024];
    char* in = const_cast<char*>(bytes.data());
    size_t in_left = bytes.size();
    while (in_left > 0) {
        char* outp = buffer;
        size_t out_left = sizeof buffer;
        size_t rc = iconv(conv.cd, &in, &in_left, &outp, &out_left);
        out.append(buffer, static_cast<size_t>(outp - buffer));
        if (rc == static_cast<size_t>(-1) && errno != E2BIG) {
            out.append("\xEF\xBF\xBD"); // U+FFFD for what cannot convert
            ++in;
            --in_left;
        }
    }
    return out;
}

bool has_encoded_word(std::string_view text) {
    size_t at = text.find("=?");
    return at != std::string_view::npos &&
           text.find("?=", at + 2) != std::string_view::npos;
}

std::string decode_encoded_words(std::string_view text) {
    if (!has_encoded_word(text))
        return std::string(text);
    std::string out;
    std::string pending_bytes, pending_charset;
    // Base64 text of a word that ended inside a group of four, which
    // the next word of the same charset goes on, as Thunderbird reads
    // a mailer that split the encoded text rather than the characters.
    std::string carry;
    size_t pos = 0;
    bool after_word = false;
    auto decode_carry = [&] {
        decode_base64(carry, pending_bytes);
        carry.clear();
    };
    auto flush = [&] {
        decode_carry();
        out += to_utf8(pending_bytes, pending_charset);
        pending_bytes.clear();
    };
    while (pos < text.size()) {
        size_t at = text.find("=?", pos);
        EncodedWord word;
        while (at != std::string_view::npos && !parse_word(text, at, word))
            at = text.find("=?", at + 2);
        if (at == std::string_view::npos)
            break;
        std::string_view between = text.substr(pos, at - pos);
        bool joined = after_word && only_space(between);
        if (!joined ||
            strcasecmp(word.charset.c_str(), pending_charset.c_str()) != 0) {
            flush();
            if (!joined)
                out.append(between);
        }
        pending_charset = word.charset;
        if (!word.base64) {
            decode_carry();
            pending_bytes += decode_q(word.payload);
        } else {
            carry.append(word.payload);
            size_t letters =
                std::count_if(carry.begin(), carry.end(),
                              [](char c) { return c != ' ' && c != '\t'; });
            if (letters % 4 == 0 || carry.back() == '=')
                decode_carry();
        }
        pos = word.end;
        after_word = true;
    }
    flush();
    out.append(text.substr(std::min(pos, text.size())));
    return out;
}

std::string encode_words(std::string_view text, size_t column) {
    bool plain = std::all_of(text.begin(), text.end(),
                             [](char c) { return c >= 0x20 && c <= 0x7e; });
    if (plain && !has_encoded_word(text))
        return std::string(text);

    // RFC 2047 section 2 keeps a line that holds encoded-words within 76
    // characters, and section 5 wants each word to decode on its own, so
    // words break between characters, never inside one.
    constexpr std::string_view open = "=?UTF-8?B?", close = "?=";
    constexpr size_t line_limit = 76;
    auto bytes_for = [&](size_t room) {
        size_t payload = room > open.size() + close.size()
                             ? room - open.size() - close.size()
                             : 0;
        return payload / 4 * 3;
    };
    std::string out;
    size_t budget = bytes_for(line_limit - std::min(column, line_limit));
    size_t start = 0;
    while (start < text.size()) {
        size_t end = start;
        while (end < text.size()) {
            size_t length = std::max<size_t>(utf8_at(text, end).length, 1);
            if (end + length - start > budget)
                break;
            end += length;
        }
        if (end > start) {
            out += open;
            out += encode_base64(text.substr(start, end - start));
            out += close;
        }
        start = end;
        if (start < text.size())
            out += "\r\n ";
        budget = bytes_for(line_limit - 1);
    }
    return out;
}

} // namespace portcullis::mime
