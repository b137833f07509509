// Message digests as lower-case hex, for part hashes and tamper evidence.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::digest {

/// Returns the SHA-256 of data as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

} // namespace portcullis::digest
