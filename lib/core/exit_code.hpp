// Exit statuses shared by every program, as DESIGN.md fixes them: 0 when
// the input was processed, sysexits otherwise. A mail server retries 75.
#pragma once

namespace portcullis {

/// Process exit statuses; the values are sysexits.h's.
enum class ExitCode : int {
    ok = 0,
    usage = 64,
    data_error = 65,
    no_input = 66,
    unavailable = 69,
    software = 70,
    io_error = 74,
    temp_fail = 75,
    config = 78,
};

/// Returns the status as the int that main() returns.
constexpr int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace portcullis
