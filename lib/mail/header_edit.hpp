// Adding header fields to a message without disturbing anything else: the
// new lines go at the end of the header block, with the message's own line
// ending, so signatures over the body and other headers stay valid. Fields
// of the same name that the sender planted are removed first, so a filter
// downstream never trusts a forged verdict header.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::mail {

/// Returns the offset of the blank line that ends the header block, or
/// the message size when there is none.
size_t header_block_end(std::string_view message);

/// Returns the line ending the message's first line uses: "\r\n", "\n"
/// (also when it has no line end at all) or "\r", a bare CR, which the
/// views read as a line end (line_ends.hpp). Lines are read so here too.
std::string_view line_ending(std::string_view message);

/// Returns true when the message starts with a header field line.
bool starts_with_header(std::string_view message);

/// Returns the offset of the first header field line, skipping lines
/// before it (an mbox "From " line, a '>From ' line); header_block_end()
/// when the header block holds no field.
size_t first_header_line(std::string_view message);

/// Returns the message without the header fields (continuation lines
/// included) whose lower-cased name the predicate accepts.
std::string
remove_headers(std::string_view message,
               const std::function<bool(std::string_view name)>& matches);

/// Returns the message with the fields added at the end of its headers,
/// after removing any field already there with one of their names or
/// with a lower-cased name also_remove accepts. Lines before the first
/// field stay first; a value folded with "\n" takes the message's line
/// ending. A message whose header block was empty, or held only removed
/// fields, gets the fields and one blank line before its body. With no
/// fields the message comes back unchanged.
std::string add_headers(
    std::string_view message,
    const std::vector<std::pair<std::string, std::string>>& fields,
    const std::function<bool(std::string_view name)>& also_remove = nullptr);

/// Returns the message with tag put before the text of its first Subject
/// field, or with a Subject field of the tag alone when it has none. A
/// subject that already starts with the tag is left as it is, so a
/// message tagged twice reads as tagged once. A tag that is not printable
/// ASCII goes in as RFC 2047 encoded-words.
std::string tag_subject(std::string_view message, std::string_view tag);

} // namespace portcullis::mail
