// Changes policy-check makes to a message: a subject tag, an added
// header, and attachments replaced by a short notice. Everything else in
// the message stays byte for byte, line endings included.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::policy {

/// A part to replace: its MIME path ("1.2") and the notice left there.
struct Removal {
    std::string path;
    std::string notice;
};

/// Returns the message with each part replaced by a text/plain notice,
/// or nullopt when a part is not inside a multipart of the raw bytes.
std::optional<std::string> strip_parts(std::string_view message,
                                       const std::vector<Removal>& removals);

} // namespace portcullis::policy
