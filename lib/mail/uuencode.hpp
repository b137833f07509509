// Uuencoded files inside body text. Outlook and old mailers still send
// `begin 644 name` ... `end` blocks in text/plain, which MIME-only parsers
// never show as attachments, so every text part is searched for them.
#pragma once

#include "mail/embedded_file.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace portcullis::mime {

/// Finds uuencoded (and begin-base64) blocks that start at a line start
/// and decodes them leniently; returns at most max_files of them.
std::vector<EmbeddedFile> find_uuencoded(std::string_view text,
                                         size_t max_files);

/// Where one block find_uuencoded() decodes lies in the text: from the
/// start of its begin line to past its end line (or its last data line).
struct UuencodedBlock {
    size_t begin = 0;
    size_t end = 0;
};

/// Returns the blocks find_uuencoded() would decode, in the same order.
std::vector<UuencodedBlock> locate_uuencoded(std::string_view text,
                                             size_t max_files);

/// Returns true when text may hold a uuencoded block (a cheap pre-check).
bool may_hold_uuencoded(std::string_view text);

/// Finds yEnc blocks (`=ybegin ... name=NAME`, data lines, `=yend`) that
/// start at a line start, as news readers and Thunderbird show them, and
/// decodes them; returns at most max_files of them. A block without its
/// `=yend` line is decoded up to the end of the text.
std::vector<EmbeddedFile> find_yenc(std::string_view text, size_t max_files);

/// Returns true when text may hold a yEnc block (a cheap pre-check).
bool may_hold_yenc(std::string_view text);

} // namespace portcullis::mime
