// The zero-width characters are all three-byte UTF-8 sequences led by
// E2 or EF, so a memchr scan for those lead bytes finds them fast.
#include "mail/zero_width.hpp"

#include <strings.h>

#include <array>
#include <cstring>

namespace portcullis::mime {

namespace {

// Returns the length of a zero-width sequence at i, or 0.
size_t zero_width_at(std::string_view text, size_t i) {
    if (i + 3 > text.size())
        return 0;
    auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    if (b(0) == 0xE2 && b(1) == 0x80 && b(2) >= 0x8B && b(2) <= 0x8D)
        return 3; // U+200B, U+200C, U+200D
    if (b(0) == 0xE2 && b(1) == 0x81 && b(2) == 0xA0)
        return 3; // U+2060
    if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF)
        return 3; // U+FEFF
    return 0;
}

bool is_lead(char c) {
    return c == '\xE2' || c == '\xEF';
}

} // namespace

bool has_zero_width(std::string_view text) {
    // A byte order mark that starts the text is a BOM, not an obfuscation.
    size_t start = zero_width_at(text, 0) && text[0] == '\xEF' ? 3 : 0;
    for (char lead : {'\xE2', '\xEF'}) {
        const char* end = text.data() + text.size();
        const char* p = text.data() + start;
        while ((p = static_cast<const char*>(
                    std::memchr(p, lead, static_cast<size_t>(end - p))))) {
            if (zero_width_at(text, static_cast<size_t>(p - text.data())))
                return true;
            ++p;
        }
    }
    return false;
}

bool has_zero_width_entity(std::string_view html) {
    static constexpr std::array<std::string_view, 12> entities = {
        "&#8203;",  "&#8204;",  "&#8205;",  "&#8288;",  "&#65279;", "&#x200b;",
        "&#x200c;", "&#x200d;", "&#x2060;", "&#xfeff;", "&zwnj;",   "&zwj;"};
    for (size_t at = html.find('&'); at != std::string_view::npos;
         at = html.find('&', at + 1)) {
        for (std::string_view entity : entities) {
            if (html.size() - at >= entity.size() &&
                strncasecmp(html.data() + at, entity.data(), entity.size()) ==
                    0)
                return true;
        }
    }
    return false;
}

std::string strip_zero_width(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t skip = is_lead(text[i]) ? zero_width_at(text, i) : 0;
        if (skip) {
            i += skip;
            continue;
        }
        out.push_back(text[i++]);
    }
    return out;
}

} // namespace portcullis::mime
