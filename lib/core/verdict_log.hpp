// The --verdicts file every filter may append to, and the --json form
// of an envelope it shares with the filter loop.
#pragma once

#include "core/result.hpp"
#include "core/stream.hpp"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace portcullis::filter {

/// Returns one envelope as one line: compact, bytes that are not UTF-8
/// replaced, as every reader expects.
std::string envelope_line(const nlohmann::ordered_json& envelope);

/// Puts an envelope in the --json form: "size" becomes "bytes", since
/// no message follows it.
void to_json_form(nlohmann::ordered_json& envelope, uint64_t message_bytes);

/// Returns the --json line for input that could not be read.
std::string error_line(const Error& error);

/// The --verdicts file: each record's envelope line, as --json writes it,
/// appended with one write, so that filters run at once by procmail or
/// pipe(8) (O_APPEND) never mix their lines.
class VerdictLog {
public:
    VerdictLog() = default;
    VerdictLog(const VerdictLog&) = delete;
    VerdictLog& operator=(const VerdictLog&) = delete;
    ~VerdictLog();

    /// Opens path (nothing when empty): a regular file or a device.
    Status open(const std::string& path);

    /// Appends the record's line; message_bytes is the record's size,
    /// which for one passed on unread is not its message's.
    Status append(const stream::Record& record, uint64_t message_bytes);

    /// Appends an input error's line, so the log counts what could not
    /// be read too.
    Status append_error(const Error& error);

private:
    Status append_line(const std::string& line, const std::string& id);
    bool lock();
    bool last_line_unended(off_t size) const;

    int fd_ = -1;
    bool regular_ = false;
    bool lock_waited_out_ = false;
    std::string path_;
};

} // namespace portcullis::filter
