// The watchdog thread sleeps until the current deadline. Arming and
// disarming only touch shared state under the mutex; the thread is woken
// only when it sleeps without a deadline or past the new one, so a fast
// stream of messages costs no context switches.
#include "core/watchdog.hpp"

#include "core/exit_code.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unistd.h>

namespace portcullis {

namespace {

thread_local std::chrono::steady_clock::time_point soft_deadline =
    std::chrono::steady_clock::time_point::max();

} // namespace

void set_deadline(std::chrono::steady_clock::time_point deadline) {
    soft_deadline = deadline;
}

void clear_deadline() {
    soft_deadline = std::chrono::steady_clock::time_point::max();
}

bool deadline_passed() {
    return soft_deadline != std::chrono::steady_clock::time_point::max() &&
           std::chrono::steady_clock::now() >= soft_deadline;
}

int hard_deadline_grace_ms(int timeout_ms) {
    return std::max(timeout_ms, 1000);
}

void Watchdog::exit_tempfail(const std::string& id, int timeout_ms) {
    log::error(fmt::format("{}: processing exceeded the parse timeout of {} ms",
                           id, timeout_ms));
    // The stuck thread holds library state: no destructor may run.
    ::_exit(to_int(ExitCode::temp_fail));
}

Watchdog::Watchdog(Expiry on_expiry) : on_expiry_(std::move(on_expiry)) {
    thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Watchdog::arm(const std::string& id, int timeout_ms) {
    bool wake = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(timeout_ms);
        // The thread sleeps until the deadline it last saw: one moved
        // earlier (a shorter phase of the same message) must wake it.
        wake = idle_ || deadline < deadline_;
        id_ = id;
        timeout_ms_ = timeout_ms;
        deadline_ = deadline;
        armed_ = true;
    }
    if (wake)
        wake_.notify_all();
}

void Watchdog::disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
}

void Watchdog::watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (!armed_) {
            idle_ = true;
            wake_.wait(lock);
            continue;
        }
        idle_ = false;
        auto deadline = deadline_;
        wake_.wait_until(lock, deadline);
        // A newer message may have moved the deadline while we slept.
        if (stopping_ || !armed_ ||
            std::chrono::steady_clock::now() < deadline_)
            continue;
        armed_ = false;
        std::string id = id_;
        int timeout_ms = timeout_ms_;
        lock.unlock();
        on_expiry_(id, timeout_ms);
        lock.lock();
    }
}

} // namespace portcullis
