// The notice keeps the fields a reader and a mail filter sort by, so it
// lands in the same folder and thread the message would have; every
// other field of the original (its MIME headers above all) is dropped.
#include "av_notice.hpp"

#include "core/strings.hpp"
#include "mail/header_edit.hpp"
#include "mail/line_ends.hpp"

#include <algorithm>
#include <array>

namespace portcullis::av {

namespace {

constexpr std::array<std::string_view, 6> kept_fields = {
    "from", "to", "cc", "subject", "date", "message-id"};

// The field's lower-cased name, or empty for a line that is no field.
std::string field_name(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
        return "";
    return ascii_lower(trim_blanks(line.substr(0, colon)));
}

// The kept fields of the header block, the first of each name, with
// their continuation lines, each line ended with eol.
std::string kept_header_lines(std::string_view message, std::string_view eol) {
    std::string out;
    std::vector<std::string> seen;
    bool keeping = false;
    size_t end = mail::header_block_end(message);
    for (size_t pos = mail::first_header_line(message); pos < end;) {
        size_t lf = message.find('\n', pos);
        size_t next = lf == std::string_view::npos ? end : lf + 1;
        std::string_view line = message.substr(pos, std::min(next, end) - pos);
        pos = next;
        line = line.substr(0, line.find_last_not_of("\r\n") + 1);
        if (line.empty())
            break;
        if (line[0] != ' ' && line[0] != '\t') {
            std::string name = field_name(line);
            keeping = std::find(kept_fields.begin(), kept_fields.end(), name) !=
                          kept_fields.end() &&
                      std::find(seen.begin(), seen.end(), name) == seen.end();
            if (keeping)
                seen.push_back(std::move(name));
        }
        if (keeping)
            out.append(line).append(eol);
    }
    return out;
}

} // namespace

std::string printable_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c < ' ' || c > '~')
            c = '?';
    }
    return out;
}

std::string notice_message(std::string_view original,
                           const std::vector<std::string>& body) {
    std::string_view eol = mail::line_ending(original);
    std::string readable;
    std::string out =
        kept_header_lines(mail::readable_line_ends(original, readable), eol);
    for (std::string_view field :
         {"MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
          "Content-Transfer-Encoding: 7bit", ""})
        out.append(field).append(eol);
    for (const std::string& line : body)
        out.append(line).append(eol);
    return out;
}

} // namespace portcullis::av
