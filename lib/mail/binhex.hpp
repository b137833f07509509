// BinHex 4.0 files inside body text and in application/mac-binhex40
// attachments. Mac mailers (Eudora and Outlook Express for the Mac among
// them) sent files as a block under the line "(This file must be
// converted with BinHex 4.0)", and readers still decode such blocks, so
// every text part and every such attachment is searched for them.
#pragma once

#include "mail/embedded_file.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

/// What decoding the BinHex blocks of a text found, and what was wrong
/// with them; damaged blocks are decoded as far as they go all the same.
struct BinhexContents {
    /// Each block's data fork, under the name its header gives, then its
    /// resource fork, when not empty, as NAME.rsrc.
    std::vector<EmbeddedFile> files;
    std::vector<std::string> problems; ///< the first 16: a bad CRC, ...
    bool limit_hit = false;            ///< a fork was cut at a limit
    /// The fork was cut because its runs passed max_ratio times its
    /// block, rather than at max_bytes.
    bool ratio_hit = false;
};

/// Finds BinHex 4.0 blocks (the line "(This file must be converted with
/// BinHex", in any case, then data from one ':' to the next) and decodes
/// them leniently, as readers do: a bad CRC is noted, not fatal, and a
/// block without its closing ':' runs to the next such line or the end of
/// the text. Returns at most max_files files and max_bytes bytes of them
/// in all, and of each block at most max_ratio times its size (or
/// Limits::expansion_floor_bytes), in time linear in the text.
BinhexContents find_binhex(std::string_view text, size_t max_files,
                           size_t max_bytes, size_t max_ratio = SIZE_MAX);

/// Returns true when text may hold a BinHex block (a cheap pre-check).
bool may_hold_binhex(std::string_view text);

/// Returns true for a content type (lower case) that names a BinHex file:
/// application/mac-binhex40 (RFC 1741) and the aliases mailers use.
bool is_binhex_type(std::string_view content_type);

} // namespace portcullis::mime
