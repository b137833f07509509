// A file found inside another part rather than in a MIME entity of its
// own: a uuencoded block in body text, or a file packed in TNEF. Scanners
// and policies treat it exactly like an attachment.
#pragma once

#include <string>
#include <vector>

namespace portcullis::mime {

/// A file carried inside a part: its stored name and its decoded bytes.
struct EmbeddedFile {
    std::string name;
    std::string data;
    /// Other names the container gives the same file (TNEF keeps a title,
    /// a long and a short file name); readers differ on which they show.
    std::vector<std::string> other_names;
};

} // namespace portcullis::mime
