// Extraction with openat(2) on a folder descriptor and O_CREAT|O_EXCL|
// O_NOFOLLOW: a name that exists, or a planted symlink, gets the next
// free suffix ("a.pdf", "a-1.pdf", ...), so no run overwrites a file.
#include "mime_split_extract.hpp"

#include "mail/filename.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::mime_split {

namespace {

constexpr int max_suffix = 100000;

// "a.pdf" with suffix 2 is "a-2.pdf"; a name without a dot gets "-2".
std::string with_suffix(const std::string& name, int suffix) {
    if (suffix == 0)
        return name;
    size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0)
        return fmt::format("{}-{}", name, suffix);
    return fmt::format("{}-{}{}", name.substr(0, dot), suffix,
                       name.substr(dot));
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

} // namespace

Result<ExtractDir> ExtractDir::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return Error{path, std::strerror(errno), ExitCode::io_error};
    // A folder nothing can be written to is refused before any mail is
    // read, not found out message by message with a tempfail each.
    if (::faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        int saved = errno;
        ::close(fd);
        return Error{path, std::strerror(saved), ExitCode::io_error};
    }
    std::string shown = path;
    while (shown.size() > 1 && shown.back() == '/')
        shown.pop_back();
    return ExtractDir(fd, shown);
}

ExtractDir::ExtractDir(ExtractDir&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)),
      next_suffix_(std::move(other.next_suffix_)) {
    other.fd_ = -1;
}

ExtractDir::~ExtractDir() {
    if (fd_ >= 0)
        ::close(fd_);
}

int ExtractDir::create_unique(const std::string& safe, std::string& chosen) {
    int& suffix = next_suffix_[safe];
    for (; suffix < max_suffix; ++suffix) {
        chosen = with_suffix(safe, suffix);
        int fd = ::openat(fd_, chosen.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0600);
        if (fd >= 0 || errno != EEXIST) {
            ++suffix;
            return fd;
        }
    }
    errno = EEXIST;
    return -1;
}

Result<std::string> ExtractDir::write(std::string_view name,
                                      std::string_view data) {
    std::string chosen;
    int fd = create_unique(mime::safe_basename(name), chosen);
    std::string path = path_ + "/" + chosen;
    if (fd < 0)
        return Error{path, std::strerror(errno), ExitCode::io_error};
    bool written = write_all(fd, data);
    int saved = errno;
    if (::close(fd) != 0 && written) {
        written = false;
        saved = errno;
    }
    // A file cut short by a full disk is no copy of the attachment: it
    // goes, so that nothing in the folder is less than it claims to be.
    if (!written) {
        ::unlinkat(fd_, chosen.c_str(), 0);
        return Error{path, std::strerror(saved), ExitCode::io_error};
    }
    return path;
}

void ExtractDir::remove(const std::string& path) {
    std::string_view name(path);
    if (name.substr(0, path_.size() + 1) == path_ + "/")
        name.remove_prefix(path_.size() + 1);
    ::unlinkat(fd_, std::string(name).c_str(), 0);
}

} // namespace portcullis::mime_split
