// Small string helpers every parser of mail needs. Header names, MIME
// tokens and domains are ASCII by definition, so case folding here never
// depends on the locale.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis {

/// Returns c lower-cased if it is an ASCII letter, else c.
constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Returns the value of a hexadecimal digit, either case, or -1.
constexpr int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// Returns text with ASCII letters lower-cased; other bytes unchanged.
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

/// Whether a and b are equal but for the case of ASCII letters. Unlike
/// strncasecmp, a NUL byte is compared as any other.
constexpr bool equals_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/// Whether text starts with prefix but for the case of ASCII letters.
constexpr bool starts_with_ci(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           equals_ci(text.substr(0, prefix.size()), prefix);
}

/// Returns text without the bytes listed in set at either end.
inline std::string_view trim_any(std::string_view text, std::string_view set) {
    size_t first = text.find_first_not_of(set);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(set) - first + 1);
}

/// Returns text without the ASCII white space (blank, tab, CR, LF, VT,
/// FF) at either end.
inline std::string_view trim_space(std::string_view text) {
    return trim_any(text, " \t\r\n\v\f");
}

/// Whether c is white space as HTML and CSS define it: space, tab, LF,
/// FF, CR (no VT).
constexpr bool is_html_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/// Returns text without the blanks (space, tab) at either end.
inline std::string_view trim_blanks(std::string_view text) {
    return trim_any(text, " \t");
}

// RFC 5322 folds a header with CR LF and blanks only; VT and FF are
// control characters there, part of the value, and must stay visible.
/// Returns text without a header's folding white space (blank, tab, CR,
/// LF) at either end.
inline std::string_view trim_folding_space(std::string_view text) {
    return trim_any(text, " \t\r\n");
}

/// Appends a code point as UTF-8; surrogates and values past U+10FFFF
/// become U+FFFD, so the output is always valid UTF-8.
inline void append_utf8(std::string& out, char32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// One code point decoded from UTF-8; length 0 when the bytes are not one.
struct Utf8Char {
    char32_t value = 0;
    size_t length = 0;
};

// Strict: an overlong form, a surrogate or a cut sequence is no character,
// and a reader shows it as U+FFFD, which is visible.
/// Returns the well-formed UTF-8 character that starts at byte i.
constexpr Utf8Char utf8_at(std::string_view text, size_t i) {
    auto byte = [&](size_t k) -> char32_t {
        return static_cast<unsigned char>(text[k]);
    };
    char32_t lead = byte(i);
    if (lead < 0x80)
        return {lead, 1};
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || i + length > text.size())
        return {};
    char32_t cp = lead & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return {};
        cp = cp << 6 | (byte(i + k) & 0x3F);
    }
    constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[length] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return {};
    return {cp, length};
}

/// Returns text safe to print on a terminal: C0 controls, DEL, the C1
/// controls (U+0080-U+009F), the line and paragraph separators (U+2028,
/// U+2029), the bidirectional controls (U+061C, U+200E-U+200F,
/// U+202A-U+202E, U+2066-U+2069) and bytes that are not
/// UTF-8 become \xNN, one per byte; all else, printable UTF-8 included,
/// is kept as it is.
std::string terminal_safe(std::string_view text);

} // namespace portcullis
