// Reading bare CRs as line ends (see line_ends.hpp).
#include "mail/line_ends.hpp"

#include <cstring>

namespace portcullis::mail {

namespace {

// Returns the offset of the first bare CR at or after from, or npos.
size_t next_bare_cr(std::string_view text, size_t from) {
    while (from < text.size()) {
        const void* cr =
            std::memchr(text.data() + from, '\r', text.size() - from);
        if (!cr)
            return std::string_view::npos;
        size_t at = static_cast<const char*>(cr) - text.data();
        if (at + 1 == text.size() || text[at + 1] != '\n')
            return at;
        from = at + 2;
    }
    return std::string_view::npos;
}

} // namespace

size_t line_end(std::string_view text, size_t pos) {
    size_t lf = text.find('\n', pos);
    size_t end = lf == std::string_view::npos ? text.size() : lf;
    if (pos >= end)
        return lf;
    // The first CR in the line decides: before the LF it is part of a CR
    // LF; anywhere else it is bare and ends the line itself.
    const void* cr = std::memchr(text.data() + pos, '\r', end - pos);
    if (!cr)
        return lf;
    size_t at = static_cast<size_t>(static_cast<const char*>(cr) - text.data());
    return at + 1 == lf ? lf : at;
}

bool has_bare_cr(std::string_view text) {
    return next_bare_cr(text, 0) != std::string_view::npos;
}

std::string bare_cr_as_lf(std::string_view text) {
    std::string out(text);
    for (size_t at = next_bare_cr(text, 0); at != std::string_view::npos;
         at = next_bare_cr(text, at + 1))
        out[at] = '\n';
    return out;
}

std::string_view readable_line_ends(std::string_view text,
                                    std::string& storage) {
    if (!has_bare_cr(text))
        return text;
    storage = bare_cr_as_lf(text);
    return storage;
}

} // namespace portcullis::mail
