// Adding header fields to a message without disturbing anything else: the
// new lines go at the end of the header block, with the message's own line
// ending, so signatures over the body and existing headers stay valid.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::mail {

/// Returns the offset of the blank line that ends the header block, or
/// the message size when there is none.
size_t header_block_end(std::string_view message);

/// Returns the message with the fields added at the end of its headers.
std::string
add_headers(std::string_view message,
            const std::vector<std::pair<std::string, std::string>>& fields);

} // namespace portcullis::mail
