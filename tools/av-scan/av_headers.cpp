// Header fields are cut out line by line inside the header block; every
// other byte, line endings included, stays as it was.
#include "av_headers.hpp"

#include "mail/header_edit.hpp"

#include <cctype>

namespace portcullis::av {

namespace {

constexpr std::string_view av_prefix = "x-portcullis-av";

bool is_continuation(std::string_view line) {
    return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

// RFC 5322 allows no blanks before the colon, but some parsers accept
// them (obsolete syntax), so "X-Portcullis-AV : clean" counts too.
bool is_av_field(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon < av_prefix.size())
        return false;
    for (size_t i = 0; i < av_prefix.size(); ++i) {
        auto c = static_cast<unsigned char>(line[i]);
        if (std::tolower(c) != av_prefix[i])
            return false;
    }
    return true;
}

} // namespace

std::string remove_av_headers(std::string_view message) {
    size_t end = mail::header_block_end(message);
    std::string out;
    out.reserve(message.size());
    bool dropping = false;
    size_t pos = 0;
    while (pos < end) {
        size_t eol = message.find('\n', pos);
        size_t next =
            eol == std::string_view::npos || eol >= end ? end : eol + 1;
        std::string_view line = message.substr(pos, next - pos);
        if (!is_continuation(line))
            dropping = is_av_field(line);
        if (!dropping)
            out += line;
        pos = next;
    }
    out += message.substr(end);
    return out;
}

} // namespace portcullis::av
