// A lenient base64 decoder, as mail needs one: list footers and broken
// mailers put bytes outside the alphabet into base64 bodies, and every
// MUA skips them, so a scanner must decode what the reader will see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::mime {

/// What a lenient decode met besides the alphabet.
struct Base64Stats {
    size_t garbage_bytes = 0; ///< bytes neither base64 nor white space
    bool data_after_padding = false;
};

/// Decodes base64, skipping every byte outside the alphabet; appends the
/// bytes to out and returns what was skipped. Past max_out bytes
/// appended (one more is, so that a caller sees its limit passed) the
/// rest is read for its statistics alone, never held.
Base64Stats decode_base64(std::string_view text, std::string& out,
                          size_t max_out = SIZE_MAX);

/// Returns bytes in base64 with padding, on one line.
std::string encode_base64(std::string_view bytes);

} // namespace portcullis::mime
