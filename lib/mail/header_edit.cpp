// Header insertion for --headers output and tagging filters.
#include "mail/header_edit.hpp"

namespace portcullis::mail {

size_t header_block_end(std::string_view message) {
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        if (eol == std::string_view::npos)
            return message.size();
        std::string_view line = message.substr(pos, eol - pos);
        if (line.empty() || line == "\r")
            return pos;
        pos = eol + 1;
    }
    return message.size();
}

std::string
add_headers(std::string_view message,
            const std::vector<std::pair<std::string, std::string>>& fields) {
    size_t first_eol = message.find('\n');
    bool crlf = first_eol != std::string_view::npos && first_eol > 0 &&
                message[first_eol - 1] == '\r';
    std::string_view eol = crlf ? "\r\n" : "\n";

    size_t end = header_block_end(message);
    std::string out(message.substr(0, end));
    if (!out.empty() && out.back() != '\n')
        out += eol; // a header block cut off without its final line end
    for (const auto& [name, value] : fields) {
        out += name;
        out += ": ";
        out += value;
        out += eol;
    }
    if (end == message.size())
        out += eol; // a message of headers only still needs its blank line
    out += message.substr(end);
    return out;
}

} // namespace portcullis::mail
