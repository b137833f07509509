// Milliseconds since a moment, for the tests that pin linear time with a
// generous bound.
#pragma once

#include <chrono>

namespace portcullis::test {

inline long long ms_since(std::chrono::steady_clock::time_point began) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - began)
        .count();
}

} // namespace portcullis::test
