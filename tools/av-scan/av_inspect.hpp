// Our own look at each file libclamav is about to unpack, the part itself
// included. libclamav cuts a ZIP member short at its file size limit and
// scans the head alone, and it counts no empty ZIP or tar member against
// its file limit: here both become scan limits, never a silent clean.
#pragma once

#include "av_engine.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::av {

/// The limits one scan of one part is held to, and the first one broken.
class Inspection {
public:
    /// Takes the limits and the largest inner file that libclamav surely
    /// delivered whole.
    Inspection(const ScanLimits& limits, uint64_t whole_file_bytes)
        : limits_(limits), whole_file_bytes_(whole_file_bytes) {}

    /// Looks at one file at depth (0 for the part) before libclamav
    /// unpacks it; returns false when libclamav must not unpack it.
    bool admit(std::string_view file, uint32_t depth);

    /// Returns the name of the first limit broken, or empty.
    std::string_view limit() const { return limit_; }

    /// Notes a limit broken by a name that outlives the inspection (a
    /// literal); the first one noted stays. Never throws.
    void note(std::string_view name);

private:
    /// Counts the members of one archive's listing (a ZIP directory, a
    /// tar's headers) and their declared sizes; false when over a limit.
    template <class Listing> bool admit_members(const Listing& listing);
    /// Returns how many more members max_files allows.
    size_t room() const;
    /// Adds one member's declared size; notes it when over max_file_bytes.
    void declare(uint64_t member_bytes);
    /// Notes the declared sizes of all members when over max_scan_bytes.
    void check_declared_total();

    const ScanLimits& limits_;
    uint64_t whole_file_bytes_ = 0;
    uint64_t members_ = 0;        ///< archive members seen so far, all levels
    uint64_t declared_bytes_ = 0; ///< their sizes as their archives declare
    std::string_view limit_;
};

} // namespace portcullis::av
