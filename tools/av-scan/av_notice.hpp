// The message --headers writes in place of one av-scan deleted or held.
// A procmail :0fw recipe or a Sieve filter delivers whatever comes back,
// so what comes back for such a message is a notice, never the message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::av {

/// Returns a short text/plain message standing in for original: its
/// first From, To, Cc, Subject, Date and Message-ID fields as written,
/// then the lines of body, all in original's line ending.
std::string notice_message(std::string_view original,
                           const std::vector<std::string>& body);

/// Returns text with every byte that is not printable ASCII as '?'.
std::string printable_ascii(std::string_view text);

} // namespace portcullis::av
