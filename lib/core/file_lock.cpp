// Bounded advisory locks: see file_lock.hpp.
#include "core/file_lock.hpp"

#include <sys/file.h>

#include <cerrno>
#include <thread>

namespace portcullis::file_lock {

bool lock_exclusive(int fd, std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK ||
            std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void unlock(int fd) {
    ::flock(fd, LOCK_UN);
}

} // namespace portcullis::file_lock
