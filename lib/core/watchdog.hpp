// A deadline for processing one message, kept twice. Our own loops check
// the soft one (deadline_passed) and give up on the message, which then
// gets a tempfail verdict while the run goes on. Parsers of hostile input
// can loop forever inside a library (GMime 3.2.13 does on some
// multiparts), where no check runs: a watchdog thread ends the process
// with a tempfail status at the hard one, and the mail server retries.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace portcullis {

/// Sets the soft deadline of the message processed on this thread.
void set_deadline(std::chrono::steady_clock::time_point deadline);

/// Clears the soft deadline: nothing is being processed.
void clear_deadline();

/// Returns true when this thread's soft deadline has passed.
bool deadline_passed();

/// Returns how long after the soft deadline the hard one falls: the
/// soft timeout again, and at least a second.
int hard_deadline_grace_ms(int timeout_ms);

/// Watches one message at a time and acts when its deadline passes.
class Watchdog {
public:
    /// What happens when a deadline passes: the id and the timeout.
    using Expiry = std::function<void(const std::string&, int)>;

    /// Logs "id: processing exceeded N ms" and exits 75 at once.
    static void exit_tempfail(const std::string& id, int timeout_ms);

    explicit Watchdog(Expiry on_expiry = exit_tempfail);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    /// Starts the clock for one message, or again for a phase of it.
    void arm(const std::string& id, int timeout_ms);

    /// Stops the clock: the message is done.
    void disarm();

private:
    void watch();

    Expiry on_expiry_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
    std::string id_;
    int timeout_ms_ = 0;
    std::chrono::steady_clock::time_point deadline_;
    bool armed_ = false;
    bool idle_ = true; // the thread waits without a deadline
    bool stopping_ = false;
};

/// Arms a watchdog for the lifetime of a scope.
class WatchdogScope {
public:
    WatchdogScope(Watchdog& dog, const std::string& id, int timeout_ms)
        : dog_(dog) {
        dog_.arm(id, timeout_ms);
    }
    ~WatchdogScope() { dog_.disarm(); }
    WatchdogScope(const WatchdogScope&) = delete;
    WatchdogScope& operator=(const WatchdogScope&) = delete;

private:
    Watchdog& dog_;
};

} // namespace portcullis
