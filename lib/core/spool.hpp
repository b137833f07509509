// A temporary file for bytes that must be counted before they are
// passed on: a raw message on stdin over the size limit has no size
// until it has all been read, and a stream record over it read from a
// pipe must have come whole before the envelope giving its size goes.
// The file is unlinked from the start, so nothing is left behind however
// the process ends, and its bytes are never held in memory.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <string_view>

namespace portcullis::spool {

class Spool {
public:
    /// Opens an unlinked file in $TMPDIR, or /tmp when that is unset.
    static Result<Spool> open();

    Spool(Spool&& other) noexcept;
    Spool& operator=(Spool&&) = delete;
    Spool(const Spool&) = delete;
    ~Spool();

    /// Appends bytes; a failure is kept and reported by status().
    void write(std::string_view piece);

    /// The first write failure (a full disk), or success.
    const Status& status() const { return status_; }

    /// Bytes written so far.
    uint64_t size() const { return size_; }

    /// Passes every byte written to sink, a piece at a time.
    Status copy_to(const std::function<void(std::string_view)>& sink) const;

private:
    Spool(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}

    int fd_ = -1;
    std::string dir_;
    uint64_t size_ = 0;
    Status status_;
};

} // namespace portcullis::spool
