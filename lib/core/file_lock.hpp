// Advisory locks on the files several processes append to (the
// --verdicts file, wiretap's log), taken for a bounded time: anyone who
// may read the file may hold a shared lock on it, and a lock waited for
// without end would let that reader stop the mail.
#pragma once

#include <chrono>

namespace portcullis::file_lock {

/// How long a writer waits for the lock before it writes without it.
inline constexpr std::chrono::milliseconds most_wait{2000};

/// Takes an exclusive flock(2) on fd, waiting at most wait. Returns false
/// when the lock was held elsewhere that long or the file system has no
/// locks; the caller then goes on without it.
bool lock_exclusive(int fd, std::chrono::milliseconds wait = most_wait);

/// Lets go of a lock lock_exclusive took.
void unlock(int fd);

} // namespace portcullis::file_lock
