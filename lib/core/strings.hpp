// Small string helpers every parser of mail needs. Header names, MIME
// tokens and domains are ASCII by definition, so case folding here never
// depends on the locale.
#pragma once

#include <string>
#include <string_view>

namespace portcullis {

/// Returns text with ASCII letters lower-cased; other bytes unchanged.
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

} // namespace portcullis
