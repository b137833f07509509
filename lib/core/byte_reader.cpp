// Buffered descriptor reading for stream records, mboxes and raw input.
#include "core/byte_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace portcullis {

ByteReader::ByteReader(int fd, std::string name)
    : fd_(fd), name_(std::move(name)),
      // Left uninitialised: zero-filling 64 KiB per input file showed up
      // as 8% of a corpus run.
      buffer_(new char[1 << 16]), capacity_(1 << 16) {}

void ByteReader::discard_all() {
    for (;;) {
        offset_ += end_ - start_;
        start_ = end_;
        auto more = fill();
        if (!more || !*more)
            return;
    }
}

Result<bool> ByteReader::fill() {
    if (eof_)
        return false;
    // Callers fill only once every buffered byte has been consumed.
    start_ = end_ = 0;
    for (;;) {
        ssize_t n = ::read(fd_, buffer_.get(), capacity_);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error{name_, std::strerror(errno), ExitCode::io_error};
        if (n == 0) {
            eof_ = true;
            return false;
        }
        end_ = static_cast<size_t>(n);
        return true;
    }
}

Result<int> ByteReader::peek() {
    if (start_ == end_) {
        auto more = fill();
        if (!more)
            return more.error();
        if (!*more)
            return -1;
    }
    return static_cast<unsigned char>(buffer_[start_]);
}

Result<std::string_view> ByteReader::peek_bytes(size_t count) {
    count = std::min(count, capacity_);
    // A pipe may hand over the first bytes in several reads: the ones
    // held move to the front and more are read after them.
    while (end_ - start_ < count && !eof_) {
        std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
        ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error{name_, std::strerror(errno), ExitCode::io_error};
        if (n == 0)
            eof_ = true;
        end_ += static_cast<size_t>(n);
    }
    return std::string_view(buffer_.get() + start_,
                            std::min(count, end_ - start_));
}

std::optional<uint64_t> ByteReader::bytes_left() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    // The descriptor's position, not offset_: stdin may be a file that
    // was partly read before this process got it.
    off_t position = ::lseek(fd_, 0, SEEK_CUR);
    if (position < 0)
        return std::nullopt;
    uint64_t in_file = st.st_size > position
                           ? static_cast<uint64_t>(st.st_size - position)
                           : 0;
    return in_file + (end_ - start_);
}

Result<bool> ByteReader::read_line(std::string& line, size_t max_bytes) {
    line.clear();
    for (;;) {
        const char* begin = buffer_.get() + start_;
        const void* lf = std::memchr(begin, '\n', end_ - start_);
        size_t take =
            lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) + 1
               : end_ - start_;
        if (line.size() + take > max_bytes)
            return Error{fmt::format("{}: offset {}", name_, offset_),
                         fmt::format("line longer than {} bytes", max_bytes)};
        line.append(begin, take);
        start_ += take;
        offset_ += take;
        if (lf)
            return true;
        auto more = fill();
        if (!more)
            return more.error();
        if (!*more)
            return !line.empty();
    }
}

Result<bool> ByteReader::read_line_part(std::string& line, size_t max_bytes,
                                        bool& complete) {
    line.clear();
    complete = false;
    max_bytes = std::max<size_t>(max_bytes, 1);
    for (;;) {
        const char* begin = buffer_.get() + start_;
        size_t available = std::min(end_ - start_, max_bytes - line.size());
        const void* lf = std::memchr(begin, '\n', available);
        size_t take =
            lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) + 1
               : available;
        line.append(begin, take);
        start_ += take;
        offset_ += take;
        if (lf) {
            complete = true;
            return true;
        }
        if (line.size() >= max_bytes)
            return true;
        auto more = fill();
        if (!more)
            return more.error();
        if (!*more) {
            complete = true;
            return !line.empty();
        }
    }
}

Status ByteReader::read_exact(std::string& out, size_t count) {
    return take(count, &out);
}

Status ByteReader::skip_exact(uint64_t count) {
    return take(count, nullptr);
}

// Reads count bytes into out, or drops them when out is null: a reader
// that only skips messages must not hold one that claims to be huge.
Status ByteReader::take(uint64_t count, std::string* out) {
    uint64_t wanted = count;
    while (count > 0) {
        if (start_ == end_) {
            auto more = fill();
            if (!more)
                return more.error();
            if (!*more)
                return Error{fmt::format("{}: offset {}", name_, offset_),
                             fmt::format("truncated: expected {} bytes, got {}",
                                         wanted, wanted - count)};
        }
        size_t chunk =
            static_cast<size_t>(std::min<uint64_t>(count, end_ - start_));
        if (out)
            out->append(buffer_.get() + start_, chunk);
        start_ += chunk;
        offset_ += chunk;
        count -= chunk;
    }
    return {};
}

// What out holds already counts: a file's first line, read to tell an
// mbox from a message, is part of the message the limit is about.
Status ByteReader::read_all(std::string& out, size_t max_bytes) {
    size_t got = out.size();
    for (;;) {
        size_t take = end_ - start_;
        if (got + take > max_bytes) {
            // The part that fits is taken, so that a caller passing the
            // input on unread holds its header and can guess an envelope.
            size_t room = max_bytes - std::min(got, max_bytes);
            out.append(buffer_.get() + start_, room);
            start_ += room;
            offset_ += room;
            return Error{name_, fmt::format("input exceeds limit of {} bytes",
                                            max_bytes)};
        }
        out.append(buffer_.get() + start_, take);
        got += take;
        start_ = end_;
        offset_ += take;
        auto more = fill();
        if (!more)
            return more.error();
        if (!*more)
            return {};
    }
}

Status
ByteReader::copy_rest(const std::function<void(std::string_view)>& sink) {
    for (;;) {
        if (end_ > start_) {
            sink(std::string_view(buffer_.get() + start_, end_ - start_));
            offset_ += end_ - start_;
            start_ = end_;
        }
        auto more = fill();
        if (!more)
            return more.error();
        if (!*more)
            return {};
    }
}

} // namespace portcullis
