// The watchdog acts once when a message overruns its deadline, and never
// for messages that finish in time.
#include "core/watchdog.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace portcullis;
using namespace std::chrono_literals;

TEST_CASE("the watchdog fires with the message id when the deadline "
          "passes") {
    std::mutex mutex;
    std::string fired_id;
    int fired_ms = 0;
    Watchdog dog([&](const std::string& id, int ms) {
        std::lock_guard<std::mutex> lock(mutex);
        fired_id = id;
        fired_ms = ms;
    });
    dog.arm("slow.eml", 20);
    std::this_thread::sleep_for(200ms);
    dog.disarm();
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(fired_id == "slow.eml");
    CHECK(fired_ms == 20);
}

TEST_CASE("the watchdog stays quiet for messages that finish in time") {
    std::atomic<int> fired{0};
    Watchdog dog([&](const std::string&, int) { ++fired; });
    for (int i = 0; i < 1000; ++i) {
        WatchdogScope scope(dog, "fast", 50);
    }
    std::this_thread::sleep_for(120ms);
    CHECK(fired == 0);
}

TEST_CASE("the watchdog fires at a deadline moved earlier, not at the "
          "one it slept for") {
    std::atomic<int> fired{0};
    Watchdog dog([&](const std::string&, int) { ++fired; });
    dog.arm("phases", 10000);
    std::this_thread::sleep_for(20ms);
    dog.arm("phases", 20);
    std::this_thread::sleep_for(300ms);
    dog.disarm();
    CHECK(fired == 1);
}

TEST_CASE("the soft deadline is passed only once it is set and due") {
    clear_deadline();
    CHECK_FALSE(deadline_passed());
    set_deadline(std::chrono::steady_clock::now() + 10s);
    CHECK_FALSE(deadline_passed());
    set_deadline(std::chrono::steady_clock::now() - 1ms);
    CHECK(deadline_passed());
    clear_deadline();
    CHECK_FALSE(deadline_passed());
}
