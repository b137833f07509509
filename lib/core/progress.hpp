// A progress line for batch runs: count, rate, elapsed and ETA, redrawn on
// stderr at most four times a second, and only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace portcullis {

/// Draws a progress line on a terminal; does nothing elsewhere.
class Progress {
public:
    /// Enables the line when stderr is a terminal and enabled is true.
    explicit Progress(bool enabled, std::optional<uint64_t> total = {});
    ~Progress();

    /// Counts one more message and redraws if enough time has passed.
    void tick();

    /// Clears the line so later output starts on a clean row.
    void finish();

private:
    void draw(bool final);

    bool active_;
    std::optional<uint64_t> total_;
    uint64_t count_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_draw_;
};

} // namespace portcullis
