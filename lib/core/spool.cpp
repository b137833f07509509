// The unlinked temporary file of spool.hpp.
#include "core/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <string>

namespace portcullis::spool {

namespace {

// A spool that cannot be made or written (no $TMPDIR yet, a full disk)
// is the machine's trouble, not the message's: 75, so a mail server
// keeps the message and tries again, where 74 would bounce it.
Error spool_error(const std::string& dir, const char* what) {
    return Error{dir,
                 fmt::format("spool file: {}: {}", what, std::strerror(errno)),
                 ExitCode::temp_fail};
}

} // namespace

Result<Spool> Spool::open() {
    const char* env = std::getenv("TMPDIR");
    std::string dir = env && *env ? env : "/tmp";
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
        // A file system without O_TMPFILE: a named file, unlinked at once.
        std::string path = dir + "/portcullis-spool.XXXXXX";
        fd = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd >= 0)
            ::unlink(path.c_str());
    }
    if (fd < 0)
        return spool_error(dir, "cannot create");
    return Spool(fd, std::move(dir));
}

Spool::Spool(Spool&& other) noexcept
    : fd_(other.fd_), dir_(std::move(other.dir_)), size_(other.size_),
      status_(std::move(other.status_)) {
    other.fd_ = -1;
}

Spool::~Spool() {
    if (fd_ >= 0)
        ::close(fd_);
}

void Spool::write(std::string_view piece) {
    while (status_ && !piece.empty()) {
        ssize_t n = ::write(fd_, piece.data(), piece.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status_ = spool_error(dir_, "cannot write");
            return;
        }
        size_ += static_cast<uint64_t>(n);
        piece.remove_prefix(static_cast<size_t>(n));
    }
}

Status Spool::copy_to(const std::function<void(std::string_view)>& sink) const {
    if (!status_)
        return status_;
    char buffer[1 << 16];
    for (off_t offset = 0;;) {
        ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return spool_error(dir_, "cannot read");
        if (n == 0)
            return {};
        sink(std::string_view(buffer, static_cast<size_t>(n)));
        offset += n;
    }
}

} // namespace portcullis::spool
