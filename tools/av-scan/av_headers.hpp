// The X-Portcullis-AV headers av-scan adds in --headers mode. A sender
// can plant the same names to claim a clean scan; only av-scan's own
// lines may reach the reader, so any copy already present is removed.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::av {

/// Returns the message without any X-Portcullis-AV* header field: any
/// case, any blanks before the colon, continuation lines included.
std::string remove_av_headers(std::string_view message);

} // namespace portcullis::av
