// Raw rewriting. Parts are found by walking boundaries in the bytes
// themselves, numbered as the MIME parser numbers them; the caller parses
// the result again to confirm that what had to go has gone.
#include "policy_rewrite.hpp"

#include "mail/gmime_support.hpp"
#include "mail/header_edit.hpp"
#include "mail/line_ends.hpp"

#include <strings.h>

#include <algorithm>
#include <map>

namespace portcullis::policy {

namespace {

struct Span {
    size_t begin;
    size_t end;
};

// Returns where the body of the entity starting at begin starts.
size_t body_start(std::string_view message, Span entity) {
    std::string_view text =
        message.substr(entity.begin, entity.end - entity.begin);
    size_t end = mail::header_block_end(text);
    if (end >= text.size())
        return entity.end;
    size_t eol = text.find('\n', end);
    return entity.begin + (eol == std::string_view::npos ? end : eol + 1);
}

std::string content_type(std::string_view message, Span entity, size_t body) {
    std::string_view headers =
        message.substr(entity.begin, body - entity.begin);
    size_t pos = 0;
    while (pos < headers.size()) {
        size_t end = pos;
        do {
            size_t eol = headers.find('\n', end);
            end = eol == std::string_view::npos ? headers.size() : eol + 1;
        } while (end < headers.size() &&
                 (headers[end] == ' ' || headers[end] == '\t'));
        std::string_view field = headers.substr(pos, end - pos);
        if (field.size() > 13 &&
            strncasecmp(field.data(), "content-type:", 13) == 0) {
            std::string value;
            for (char c : field.substr(13)) {
                if (c != '\r' && c != '\n')
                    value += c;
            }
            return value;
        }
        pos = end;
    }
    return "text/plain";
}

struct TypeInfo {
    bool multipart = false;
    bool message = false;
    std::string boundary;
};

TypeInfo parse_type(const std::string& value) {
    mime::ensure_gmime();
    TypeInfo info;
    GMimeContentType* type = g_mime_content_type_parse(nullptr, value.c_str());
    if (!type)
        return info;
    const char* media = g_mime_content_type_get_media_type(type);
    const char* sub = g_mime_content_type_get_media_subtype(type);
    info.multipart = media && g_ascii_strcasecmp(media, "multipart") == 0;
    info.message = media && sub && g_ascii_strcasecmp(media, "message") == 0 &&
                   g_ascii_strcasecmp(sub, "rfc822") == 0;
    const char* boundary = g_mime_content_type_get_parameter(type, "boundary");
    info.boundary = boundary ? boundary : "";
    g_object_unref(type);
    return info;
}

// A delimiter line is "--boundary" with only blanks after it
// (RFC 2046 section 5.1.1); returns 1 for a delimiter, 2 for the close.
int delimiter_kind(std::string_view line, const std::string& boundary) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.remove_suffix(1);
    if (line.size() < boundary.size() + 2 || line.substr(0, 2) != "--" ||
        line.substr(2, boundary.size()) != boundary)
        return 0;
    std::string_view rest = line.substr(boundary.size() + 2);
    int kind = 1;
    if (rest.substr(0, 2) == "--") {
        kind = 2;
        rest.remove_prefix(2);
    }
    return rest.find_first_not_of(" \t") == std::string_view::npos ? kind : 0;
}

// The line end before a delimiter belongs to the delimiter.
size_t before_line_end(std::string_view message, size_t line_start,
                       size_t floor) {
    size_t end = line_start;
    if (end > floor && message[end - 1] == '\n')
        --end;
    if (end > floor && message[end - 1] == '\r')
        --end;
    return end;
}

std::vector<Span> children(std::string_view message, size_t body, size_t end,
                           const std::string& boundary) {
    std::vector<Span> out;
    std::optional<size_t> open;
    for (size_t pos = body; pos < end;) {
        size_t eol = message.find('\n', pos);
        size_t next =
            eol == std::string_view::npos || eol >= end ? end : eol + 1;
        int kind = delimiter_kind(message.substr(pos, next - pos), boundary);
        if (kind) {
            if (open)
                out.push_back(
                    {*open,
                     std::max(*open, before_line_end(message, pos, *open))});
            if (kind == 2)
                return out;
            open = next;
        }
        pos = next;
    }
    if (open)
        out.push_back({*open, end});
    return out;
}

void walk(std::string_view message, Span entity, const std::string& path,
          int depth, std::map<std::string, Span>& found) {
    if (depth > 64)
        return;
    size_t body = body_start(message, entity);
    TypeInfo type = parse_type(content_type(message, entity, body));
    if (type.message) {
        walk(message, {body, entity.end}, path + ".1", depth + 1, found);
        return;
    }
    if (!type.multipart || type.boundary.empty())
        return;
    auto parts = children(message, body, entity.end, type.boundary);
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string child = path + "." + std::to_string(i + 1);
        found[child] = parts[i];
        walk(message, parts[i], child, depth + 1, found);
    }
}

} // namespace

std::optional<std::string> strip_parts(std::string_view message,
                                       const std::vector<Removal>& removals) {
    // Parts are found in the lines the views read; offsets hold in both.
    std::string readable;
    std::map<std::string, Span> found;
    walk(mail::readable_line_ends(message, readable), {0, message.size()}, "1",
         0, found);
    std::vector<std::pair<Span, const Removal*>> edits;
    for (const Removal& removal : removals) {
        auto hit = found.find(removal.path);
        if (hit == found.end())
            return std::nullopt;
        edits.push_back({hit->second, &removal});
    }
    // A part inside another stripped part goes with it.
    std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) {
        return a.first.begin < b.first.begin;
    });
    std::string_view eol = mail::line_ending(message);
    std::string out;
    size_t copied = 0;
    for (const auto& [span, removal] : edits) {
        if (span.begin < copied)
            continue;
        out.append(message.substr(copied, span.begin - copied));
        out += "Content-Type: text/plain; charset=utf-8";
        out += eol;
        out += "Content-Disposition: inline";
        out += eol;
        out += "Content-Transfer-Encoding: 8bit";
        out += eol;
        out += eol;
        out += removal->notice;
        copied = span.end;
    }
    out.append(message.substr(copied));
    return out;
}

} // namespace portcullis::policy
