// What the files of the MIME parse share and nobody else needs: anomaly
// bookkeeping and the raw byte scan that finds what GMime smooths over.
#pragma once

#include "mail/mime.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime::detail {

/// Records an anomaly on a part (once per part) and on the message.
void add_anomaly(Tree& tree, Part* part, std::string id,
                 std::string detail = {});

/// A multipart found by the walk: its boundary and part path.
struct Multipart {
    std::string boundary;
    std::string path;
};

/// Scans the raw bytes once for line-end, NUL, header-size and boundary
/// anomalies, attributing each to the part whose bytes hold it.
void scan_raw(std::string_view message,
              const std::vector<Multipart>& multiparts, const Limits& limits,
              Tree& tree);

/// Flags boundaries that are a prefix of (or equal to) another boundary.
void check_boundary_prefixes(const std::vector<Multipart>& multiparts,
                             Tree& tree);

} // namespace portcullis::mime::detail
