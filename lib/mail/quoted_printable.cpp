#include "mail/quoted_printable.hpp"

#include "core/strings.hpp"

#include <algorithm>

namespace portcullis::mime {

std::string decode_quoted_printable(std::string_view text, size_t max_out) {
    std::string out;
    out.reserve(max_out < text.size() ? max_out + 1 : text.size());
    for (size_t i = 0; i < text.size() && out.size() <= max_out; ++i) {
        if (text[i] != '=') {
            out += text[i];
            continue;
        }
        // A soft line break: '=' then optional white space, then the end.
        size_t j = i + 1;
        while (j < text.size() && (text[j] == ' ' || text[j] == '\t'))
            ++j;
        if (j < text.size() && (text[j] == '\r' || text[j] == '\n')) {
            i = j +
                (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n');
            continue;
        }
        int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            out += '=';
            continue;
        }
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
    }
    return out;
}

} // namespace portcullis::mime
