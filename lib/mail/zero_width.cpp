// Invisible characters are all outside ASCII, so the scan skips ASCII
// eight bytes at a time and decodes only where a byte has its top bit set.
#include "mail/zero_width.hpp"
#include "mail/unicode_marks.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace portcullis::mime {

namespace {

// Returns the index of the first byte at or after i that is not ASCII.
size_t next_non_ascii(std::string_view text, size_t i) {
    constexpr uint64_t high_bits = 0x8080808080808080;
    for (uint64_t word; i + 8 <= text.size(); i += 8) {
        std::memcpy(&word, text.data() + i, 8);
        if (word & high_bits)
            break;
    }
    while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80)
        ++i;
    return i;
}

// HTML's named references for invisible characters (the HTML standard's
// table is case-sensitive, as browsers are).
constexpr std::array<std::pair<std::string_view, char32_t>, 14> named = {{
    {"shy", 0x00AD},
    {"ZeroWidthSpace", 0x200B},
    {"NegativeVeryThinSpace", 0x200B},
    {"NegativeThinSpace", 0x200B},
    {"NegativeMediumSpace", 0x200B},
    {"NegativeThickSpace", 0x200B},
    {"zwnj", 0x200C},
    {"zwj", 0x200D},
    {"lrm", 0x200E},
    {"rlm", 0x200F},
    {"NoBreak", 0x2060},
    {"af", 0x2061},
    {"it", 0x2062},
    {"ic", 0x2063},
}};

// Returns the code point of a numeric reference ("#8203" or "#x200b",
// the text after '&'), or 0 when it is not one.
char32_t numeric_reference(std::string_view ref) {
    if (ref.size() < 2 || ref[0] != '#')
        return 0;
    bool hex = ref[1] == 'x' || ref[1] == 'X';
    char32_t value = 0;
    size_t digits = 0;
    for (size_t i = hex ? 2 : 1; i < ref.size(); ++i, ++digits) {
        char c = ref[i];
        int digit = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
        if (digit < 0)
            break;
        value = value * (hex ? 16 : 10) + static_cast<char32_t>(digit);
        // Past Unicode a browser shows U+FFFD; stop before overflow.
        if (value > 0x10FFFF)
            return 0;
    }
    return digits ? value : 0;
}

// Returns the code point the reference after '&' names, or 0. The name
// is cut at its ';' once, so a stray '&', as in a megabyte of them,
// costs a look at a few bytes rather than a comparison with each name.
char32_t reference_at(std::string_view html, size_t amp) {
    std::string_view ref = html.substr(amp + 1, 32);
    if (char32_t cp = numeric_reference(ref))
        return cp;
    if (ref.empty() || !std::isalpha(static_cast<unsigned char>(ref[0])))
        return 0;
    size_t semicolon = ref.find(';');
    if (semicolon == std::string_view::npos)
        return 0;
    for (const auto& [name, cp] : named) {
        if (ref.substr(0, semicolon) == name)
            return cp;
    }
    return 0;
}

} // namespace

bool has_zero_width(std::string_view text) {
    // A byte order mark that starts the text is a BOM, not an obfuscation.
    size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    for (i = next_non_ascii(text, i); i < text.size();
         i = next_non_ascii(text, i + 1)) {
        if (mail::invisible_length(text, i))
            return true;
    }
    return false;
}

bool has_zero_width_entity(std::string_view html) {
    for (size_t at = html.find('&'); at != std::string_view::npos;
         at = html.find('&', at + 1)) {
        if (mail::is_invisible(reference_at(html, at)))
            return true;
    }
    return false;
}

std::string strip_zero_width(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t next = next_non_ascii(text, i);
        out.append(text.substr(i, next - i));
        if (next == text.size())
            break;
        size_t skip = mail::invisible_length(text, next);
        if (skip == 0)
            out.push_back(text[next]);
        i = next + (skip ? skip : 1);
    }
    return out;
}

} // namespace portcullis::mime
