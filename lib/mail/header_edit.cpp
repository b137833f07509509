// Header editing for --headers output and tagging filters.
#include "mail/header_edit.hpp"
#include "core/strings.hpp"
#include "mail/charset.hpp"
#include "mail/line_ends.hpp"
#include "mail/text.hpp"

#include <algorithm>
#include <cctype>

namespace portcullis::mail {

namespace {

// Returns the field name of a header line, lower case, without the space
// some senders put before the colon; empty when it is not a field line.
std::string field_name(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return "";
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.remove_suffix(1);
    if (name.empty())
        return "";
    for (unsigned char c : name) {
        if (c <= ' ' || c >= 0x7f)
            return "";
    }
    return ascii_lower(name);
}

std::string_view line_at(std::string_view message, size_t pos) {
    size_t eol = line_end(message, pos);
    return eol == std::string_view::npos ? message.substr(pos)
                                         : message.substr(pos, eol - pos + 1);
}

} // namespace

std::string_view line_ending(std::string_view message) {
    size_t eol = line_end(message, 0);
    if (eol == std::string_view::npos)
        return "\n";
    if (message[eol] == '\r')
        return "\r";
    return eol > 0 && message[eol - 1] == '\r' ? "\r\n" : "\n";
}

size_t header_block_end(std::string_view message) {
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = line_end(message, pos);
        if (eol == std::string_view::npos)
            return message.size();
        std::string_view line = message.substr(pos, eol - pos);
        if (line.empty() || line == "\r")
            return pos;
        pos = eol + 1;
    }
    return message.size();
}

bool starts_with_header(std::string_view message) {
    return !field_name(line_at(message, 0)).empty();
}

size_t first_header_line(std::string_view message) {
    size_t end = header_block_end(message);
    size_t pos = 0;
    while (pos < end) {
        if (starts_with_header(message.substr(pos)))
            return pos;
        size_t eol = line_end(message, pos);
        if (eol == std::string_view::npos)
            return end;
        pos = eol + 1;
    }
    return end;
}

std::string
remove_headers(std::string_view message,
               const std::function<bool(std::string_view name)>& matches) {
    size_t end = header_block_end(message);
    size_t pos = first_header_line(message);
    if (pos >= end)
        return std::string(message);
    std::string out(message.substr(0, pos));
    out.reserve(message.size());
    // A line ended by a bare CR, followed once a dropped line is gone by
    // one that starts with LF, would read as one line ended by CR LF: the
    // blank line that ends the header block would vanish, and the body's
    // first lines become header fields (a sender planting a field after
    // "Subject: x\r" lifted a MIME Content-Type out of the body). The
    // bare CR is made a CR LF instead, and the LF stays a line of its own.
    auto keep = [&](std::string_view text) {
        if (!text.empty() && text.front() == '\n' && !out.empty() &&
            out.back() == '\r')
            out += '\n';
        out += text;
    };
    bool dropping = false;
    while (pos < end) {
        std::string_view line = line_at(message, pos);
        bool continuation = line[0] == ' ' || line[0] == '\t';
        if (!continuation) {
            std::string name = field_name(line);
            dropping = !name.empty() && matches(name);
        }
        if (!dropping)
            keep(line);
        pos += line.size();
    }
    keep(message.substr(end));
    return out;
}

std::string
add_headers(std::string_view message,
            const std::vector<std::pair<std::string, std::string>>& fields,
            const std::function<bool(std::string_view name)>& also_remove) {
    if (fields.empty())
        return std::string(message);
    // Where the header block is, and its line ending, are found before
    // any field is removed: a block of planted fields alone is still a
    // header block, though empty now. A message that opens with its
    // blank line has an empty header block too (RFC 5322 3.5).
    size_t start = first_header_line(message);
    size_t block_end = header_block_end(message);
    bool has_headers =
        start < block_end || (block_end == 0 && !message.empty());
    std::string_view eol =
        line_ending(has_headers ? message.substr(start) : message);

    std::vector<std::string> names;
    for (const auto& field : fields)
        names.push_back(ascii_lower(field.first));
    std::string cleaned = remove_headers(message, [&](std::string_view name) {
        return std::find(names.begin(), names.end(), name) != names.end() ||
               (also_remove && also_remove(name));
    });
    std::string added;
    for (const auto& [name, value] : fields) {
        added += name + ": ";
        // A folded value takes the message's line ending too.
        for (size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
                added += eol;
            else
                added += value[i];
        }
        added += eol;
    }

    // A message of body text alone gets a header block of its own; the
    // text stays the body.
    if (!has_headers)
        return added + std::string(eol) + cleaned;

    // Lines before the first field (the mbox "From " line procmail hands
    // to a filter) stay first; the fields go where a reader finds them.
    // Removing fields leaves those lines as they were.
    std::string_view rest = cleaned;
    std::string out(rest.substr(0, start));
    rest.remove_prefix(start);
    size_t end = header_block_end(rest);
    out += rest.substr(0, end);
    if (!out.empty() && out.back() != '\n' && out.back() != '\r')
        out += eol; // a header block cut off without its final line end
    out += added;
    if (end == rest.size())
        out += eol; // a message of headers only still needs its blank line
    out += rest.substr(end);
    return out;
}

// RFC 5322 2.1.1: a line SHOULD hold at most 78 characters.
constexpr size_t max_tagged_line = 78;

namespace {

// Whether the field whose value starts at value reads, decoded, as
// starting with tag: a tag the sender or another filter wrote encoded
// ("=?utf-8?B?...?=") or in raw UTF-8 is there once already.
bool decoded_field_starts_with(std::string_view message, size_t value,
                               size_t end, std::string_view tag) {
    size_t field_end = value;
    while (field_end < end) {
        size_t line_end = message.find('\n', field_end);
        field_end = line_end == std::string_view::npos ? end : line_end + 1;
        if (field_end >= end ||
            (message[field_end] != ' ' && message[field_end] != '\t'))
            break;
    }
    std::string decoded = text::decode_header(
        message.substr(value, std::min(field_end, end) - value));
    std::string_view shown = decoded;
    while (!shown.empty() && (shown.front() == ' ' || shown.front() == '\t'))
        shown.remove_prefix(1);
    return !tag.empty() && shown.starts_with(tag);
}

} // namespace

std::string tag_subject(std::string_view message, std::string_view tag) {
    std::string_view eol = line_ending(message);
    // "Subject: " takes nine columns; folds take the message's line end.
    auto encode = [&](const std::string& text) {
        std::string out = mime::encode_words(text, 9);
        if (eol != "\r\n")
            for (size_t at = 0;
                 (at = out.find("\r\n", at)) != std::string::npos;
                 at += eol.size())
                out.replace(at, 2, eol);
        return out;
    };
    std::string encoded = encode(std::string(tag));
    // Blanks between two encoded-words are not shown (RFC 2047 6.2), so
    // before a subject that opens with one, an encoded tag carries its
    // space inside.
    std::string spaced = encode(std::string(tag) + " ");
    size_t end = header_block_end(message);
    for (size_t pos = first_header_line(message); pos < end;) {
        std::string_view line = line_at(message, pos);
        // "Subject :" is the same field; RFC 5322's obsolete syntax
        // allows blanks before the colon.
        if (line[0] != ' ' && line[0] != '\t' &&
            field_name(line) == "subject") {
            size_t colon = pos + line.find(':');
            size_t value = colon + 1;
            while (value < end &&
                   (message[value] == ' ' || message[value] == '\t'))
                ++value;
            std::string_view text = message.substr(value);
            if (text.starts_with(encoded) ||
                (encoded != tag && text.starts_with(spaced)) ||
                decoded_field_starts_with(message, value, end, tag))
                return std::string(message);
            std::string out(message.substr(0, value));
            if (value == colon + 1)
                out += ' ';
            const std::string& put =
                encoded != tag && text.starts_with("=?") ? spaced : encoded;
            out += put;
            if (value < end && message[value] != '\r' &&
                message[value] != '\n') {
                // A line the tag would make longer than RFC 5322's 78
                // characters is folded after the tag, so a subject near
                // the 998 limit is never pushed past it.
                size_t length = line.find_first_of("\r\n");
                if (length == std::string_view::npos)
                    length = line.size();
                size_t fold = put.rfind('\n');
                size_t tagged =
                    fold == std::string::npos
                        ? length + put.size() + 1
                        : put.size() - fold + length - (value - pos);
                if (tagged > max_tagged_line)
                    out += eol;
                out += ' ';
            }
            out += text;
            return out;
        }
        pos += line.size();
    }
    return add_headers(message, {{"Subject", encoded}});
}

} // namespace portcullis::mail
