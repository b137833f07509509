// Cleaning by splicing: each removed part's byte range in the raw message
// is replaced with a notice part, so clean parts, headers and boundaries
// stay byte for byte and DKIM over untouched parts is not disturbed more
// than it must be.
#include "av_actions.hpp"
#include "mail/header_edit.hpp"
#include "mail/line_ends.hpp"
#include "mail/uuencode.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace portcullis::av {

namespace {

using mime::lenient::Part;
using mime::lenient::Tree;

struct Edit {
    size_t begin;
    size_t end;
    std::string replacement;
};

// Filenames come from the sender: only printable ASCII reaches the notice.
std::string printable(std::string_view text) {
    std::string out;
    for (unsigned char c : text)
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    return out;
}

std::string notice(const Part& part, const Removal& removal,
                   std::string_view eol) {
    std::string out = "This part was removed by av-scan.";
    out += eol;
    out += fmt::format("Part: {}{}", part.path, eol);
    if (!part.filename.empty())
        out += fmt::format("File: {}{}", printable(part.filename), eol);
    out += fmt::format("Reason: {}{}", printable(removal.reason), eol);
    return out;
}

std::optional<size_t> find_parent(const Tree& tree, size_t index) {
    const std::string& path = tree.parts[index].path;
    size_t dot = path.rfind('.');
    if (dot == std::string::npos)
        return std::nullopt;
    std::string_view parent = std::string_view(path).substr(0, dot);
    for (size_t i = index; i-- > 0;) {
        if (tree.parts[i].path == parent)
            return i;
    }
    return std::nullopt;
}

bool is_entity_root(const Tree& tree, size_t index) {
    auto parent = find_parent(tree, index);
    return !parent || tree.parts[*parent].is_message;
}

bool identity_encoded(const Part& part) {
    return part.transfer_encoding == "7bit" ||
           part.transfer_encoding == "8bit" ||
           part.transfer_encoding == "binary";
}

// The k-th uuencoded block of a text part whose bytes are raw, exactly
// as the lenient view found it: only a real `begin MODE NAME` line opens
// one, so text before it that starts with "begin" stays byte for byte.
std::optional<Edit> uuencode_edit(std::string_view message, const Part& text,
                                  int ordinal, std::string replacement) {
    std::string_view body =
        message.substr(text.body_begin, text.body_end - text.body_begin);
    if (ordinal < 1)
        return std::nullopt;
    auto blocks = mime::locate_uuencoded(body, static_cast<size_t>(ordinal));
    if (blocks.size() < static_cast<size_t>(ordinal))
        return std::nullopt;
    const mime::UuencodedBlock& block = blocks[ordinal - 1];
    return Edit{text.body_begin + block.begin, text.body_begin + block.end,
                std::move(replacement)};
}

bool is_content_field(std::string_view name) {
    return name.starts_with("content-");
}

// A part with its own headers in a multipart becomes a text part. The
// root of a message keeps its other headers and becomes a text part as
// well: kept, "Content-Type: ...; name=v.exe" over a base64 notice
// reached the recipient as an attachment v.exe holding the notice, and
// under x-uuencode the notice decoded to nothing. A root without a
// header field is refused: the notice alone would stand for the whole
// message, its sender, recipients and subject gone.
Result<Edit> part_edit(std::string_view message, const Tree& tree, size_t index,
                       std::string text, std::string_view eol) {
    const Part& part = tree.parts[index];
    if (is_entity_root(tree, index)) {
        std::string_view head = message.substr(
            part.header_begin, part.body_begin - part.header_begin);
        if (mail::first_header_line(head) >= mail::header_block_end(head))
            return Error{part.path, "no header block to keep; the message "
                                    "would be the notice alone"};
        std::string entity(head);
        // A body that followed its header with no blank line (readers
        // take the first line that is no field for its start) gets one:
        // the notice would read as header lines.
        if (mail::header_block_end(head) >= head.size())
            entity += eol;
        entity += text;
        std::string cleaned =
            mail::add_headers(entity,
                              {{"Content-Type", "text/plain; charset=us-ascii"},
                               {"Content-Transfer-Encoding", "7bit"},
                               {"Content-Disposition", "inline"}},
                              is_content_field);
        return Edit{part.header_begin, part.body_end, std::move(cleaned)};
    }
    std::string replacement =
        fmt::format("Content-Type: text/plain; charset=us-ascii{0}"
                    "Content-Disposition: inline{0}{0}{1}",
                    eol, text);
    // The line end before the next delimiter lies outside the part.
    if (replacement.size() >= eol.size())
        replacement.resize(replacement.size() - eol.size());
    return Edit{part.header_begin, part.body_end, std::move(replacement)};
}

Result<Edit> plan_edit(std::string_view message, const Tree& tree,
                       const Removal& removal, std::string_view eol) {
    size_t index = removal.lenient_index;
    const Part& part = tree.parts[index];
    std::string text = notice(part, removal, eol);
    auto parent = find_parent(tree, index);
    if (part.origin == mime::Origin::uuencode && parent &&
        tree.parts[*parent].in_raw && identity_encoded(tree.parts[*parent])) {
        int ordinal = std::atoi(part.path.c_str() + part.path.rfind('u') + 1);
        if (auto edit =
                uuencode_edit(message, tree.parts[*parent], ordinal, text))
            return *edit;
    }
    // A part inside an encoded container has no raw bytes of its own;
    // the nearest container that has them goes instead.
    std::optional<size_t> target = index;
    while (target && (!tree.parts[*target].in_raw ||
                      tree.parts[*target].origin != mime::Origin::mime))
        target = find_parent(tree, *target);
    if (!target)
        return Error{part.path, "part not found in the raw message"};
    return part_edit(message, tree, *target, std::move(text), eol);
}

} // namespace

Result<std::string> clean_message(std::string_view message, const Tree& tree,
                                  const std::vector<Removal>& removals) {
    std::string_view eol = mail::line_ending(message);
    // The tree's offsets hold in both; blocks are found in the lines the
    // views read, and the bytes spliced are the message's own.
    std::string readable;
    std::string_view lines = mail::readable_line_ends(message, readable);
    std::vector<Edit> edits;
    for (const Removal& removal : removals) {
        auto edit = plan_edit(lines, tree, removal, eol);
        if (!edit)
            return edit.error();
        edits.push_back(std::move(*edit));
    }
    std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
        return a.begin < b.begin || (a.begin == b.begin && a.end > b.end);
    });

    std::string out;
    size_t copied = 0;
    for (const Edit& edit : edits) {
        if (edit.end <= copied && edit.begin < copied)
            continue; // inside a part already replaced
        if (edit.begin < copied)
            return Error{"clean", "removed parts overlap"};
        out.append(message.substr(copied, edit.begin - copied));
        out += edit.replacement;
        copied = edit.end;
    }
    out.append(message.substr(copied));
    return out;
}

} // namespace portcullis::av
