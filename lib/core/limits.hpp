// Every limit a tool enforces on input, in one place, with safe defaults.
// Each is configurable ([limits] in the TOML file, or a flag), and hitting
// one yields a verdict or a clear error naming the limit, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace portcullis {

/// The limits on input that every tool shares.
struct Limits {
    size_t envelope_line_bytes = 1 << 20;
    size_t message_bytes = 256u << 20;
    size_t header_block_bytes = 1 << 20;
    size_t header_fields = 10000;   // of one header block
    size_t header_line_bytes = 998; // RFC 5322 section 2.1.1
    int mime_depth = 32;
    /// GMime folds nesting deeper than about 512 levels into one leaf
    /// without a word, so no deeper limit could be kept.
    static constexpr int most_mime_depth = 256;
    int mime_parts = 1000;
    size_t decoded_bytes = 512u << 20;
    /// A file that a run-length code expands (BinHex) is cut at this many
    /// times the bytes of its encoded block, or at expansion_floor_bytes
    /// where that is more: 8 MB of runs would otherwise make 512 MB.
    size_t expansion_ratio = 4;
    static constexpr size_t expansion_floor_bytes = 64 << 10;
    int parse_timeout_ms = 10000;
    size_t domain_file_bytes = 1 << 20; // domains/DOMAIN.toml, read whole
};

} // namespace portcullis
