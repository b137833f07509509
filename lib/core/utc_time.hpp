// Times in UTC, as text: for envelope arrival times, log lines,
// message dates and dated folders, whatever the machine's time zone.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis {

/// Returns the time now in UTC formatted by strftime's format (at most
/// 63 bytes of text).
std::string utc_now(const char* format);

/// Returns seconds since the epoch in UTC formatted by strftime's format.
std::string utc_time(int64_t seconds, const char* format);

/// The format of an RFC 3339 time in UTC: 2026-12-06T09:30:00Z.
inline constexpr const char* rfc3339_utc = "%Y-%m-%dT%H:%M:%SZ";

} // namespace portcullis
