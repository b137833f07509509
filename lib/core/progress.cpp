// The batch progress line. It is written with \r and cleared at the end so
// it never mixes with the diagnostics on the same terminal.
#include "core/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace portcullis {

namespace {

std::string format_seconds(double seconds) {
    auto s = static_cast<long>(seconds);
    if (s < 60)
        return fmt::format("{}s", s);
    if (s < 3600)
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

void write_stderr(const std::string& text) {
    // A progress line that cannot be drawn is not worth an error.
    [[maybe_unused]] ssize_t n =
        ::write(STDERR_FILENO, text.data(), text.size());
}

} // namespace

Progress::Progress(bool enabled, std::optional<uint64_t> total)
    : active_(enabled && ::isatty(STDERR_FILENO)), total_(total),
      started_(std::chrono::steady_clock::now()), last_draw_(started_) {}

Progress::~Progress() {
    finish();
}

void Progress::tick() {
    ++count_;
    if (!active_)
        return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(250))
        return;
    last_draw_ = now;
    draw(false);
}

void Progress::draw(bool final) {
    double elapsed = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started_)
                         .count();
    double rate = elapsed > 0 ? static_cast<double>(count_) / elapsed : 0;
    std::string line = fmt::format("\r{} messages  {:.0f}/s  elapsed {}",
                                   count_, rate, format_seconds(elapsed));
    if (total_ && rate > 0 && *total_ >= count_)
        line += fmt::format(
            "  eta {}",
            format_seconds(static_cast<double>(*total_ - count_) / rate));
    line += "\x1b[K";
    if (final)
        line = "\r\x1b[K";
    write_stderr(line);
}

void Progress::finish() {
    if (!active_)
        return;
    draw(true);
    active_ = false;
}

} // namespace portcullis
