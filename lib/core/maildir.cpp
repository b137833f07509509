// Maildir delivery as qmail's maildir(5) describes it. Every system call
// is checked where it is made; the error names the path and the OS text.
#include "core/maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::maildir {

namespace {

Error os_error(const std::string& path, int error) {
    return Error{path, std::strerror(error), ExitCode::temp_fail};
}

Status sync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        return os_error(path, errno);
    int synced = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (synced != 0)
        return os_error(path, error);
    return {};
}

Status write_all(int fd, const std::string& path, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error(path, errno);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// Maildir++: the first line of maildirsize is the quota, a comma list
// such as "1000S,5C" (bytes, then a message count; either may be left
// out, in either order); each later line is "<bytes> <count>" for a
// delivery or a removal.
struct Quota {
    long long bytes = 0; ///< 0: no limit on bytes
    long long count = 0; ///< 0: no limit on messages
};

Quota parse_quota(const char* line) {
    Quota quota;
    for (const char* p = line; *p;) {
        char* end = nullptr;
        long long value = std::strtoll(p, &end, 10);
        if (end == p)
            break;
        if (*end == 'S')
            quota.bytes = value;
        else if (*end == 'C')
            quota.count = value;
        else
            break;
        p = end + 1;
        if (*p != ',')
            break;
        ++p;
    }
    return quota;
}

Status check_quota(const std::string& path, size_t message_bytes) {
    std::string file = path + "/maildirsize";
    FILE* in = std::fopen(file.c_str(), "re");
    if (!in)
        return {};
    Quota limit;
    long long bytes = 0, count = 0;
    char line[256];
    if (std::fgets(line, sizeof line, in))
        limit = parse_quota(line);
    while (std::fgets(line, sizeof line, in)) {
        long long b = 0, c = 0;
        if (std::sscanf(line, "%lld %lld", &b, &c) == 2) {
            bytes += b;
            count += c;
        }
    }
    std::fclose(in);
    bool over_bytes =
        limit.bytes > 0 &&
        bytes + static_cast<long long>(message_bytes) > limit.bytes;
    bool over_count = limit.count > 0 && count + 1 > limit.count;
    if (over_bytes || over_count)
        return Error{path, "mailbox is over its quota", ExitCode::temp_fail};
    return {};
}

void record_quota(const std::string& path, size_t message_bytes) {
    std::string file = path + "/maildirsize";
    int fd = ::open(file.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return; // no quota file: nothing to keep up to date
    // A file whose last line lacks its newline (written by hand, or cut
    // short) would glue this line onto it and corrupt the quota.
    struct stat st {};
    char last = '\n';
    if (::fstat(fd, &st) == 0 && st.st_size > 0 &&
        ::pread(fd, &last, 1, st.st_size - 1) != 1)
        last = '\n';
    std::string line =
        fmt::format("{}{} 1\n", last == '\n' ? "" : "\n", message_bytes);
    (void)write_all(fd, file, line);
    ::close(fd);
}

Result<std::string> write_tmp(const std::string& path,
                              std::string_view message) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::string name = unique_name();
        std::string tmp = path + "/tmp/" + name;
        int fd =
            ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return os_error(path + "/tmp", errno);
        Status written = write_all(fd, tmp, message);
        if (written && ::fsync(fd) != 0)
            written = os_error(tmp, errno);
        if (::close(fd) != 0 && written)
            written = os_error(tmp, errno);
        if (!written) {
            ::unlink(tmp.c_str());
            return written.error();
        }
        return name;
    }
    return Error{path, "no unique file name after 8 tries",
                 ExitCode::temp_fail};
}

} // namespace

std::string unique_name() {
    static std::atomic<unsigned long> counter{0};
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    // "/" and ":" would break the path and the flags of cur/ names.
    for (char* p = host; *p; ++p) {
        if (*p == '/' || *p == ':')
            *p = '_';
    }
    return fmt::format("{}.M{}P{}Q{}.{}", now.tv_sec, now.tv_usec, ::getpid(),
                       ++counter, host);
}

Status create(const std::string& path) {
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
        std::string dir = path + sub;
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return os_error(dir, errno);
    }
    return {};
}

Status check_writable(const std::string& path) {
    for (const char* sub : {"/tmp", "/new", "/cur"}) {
        std::string dir = path + sub;
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0)
            return os_error(dir, errno);
        if (!S_ISDIR(st.st_mode))
            return os_error(dir, ENOTDIR);
        // The effective ids are the ones a delivery will run with.
        if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
            return os_error(dir, errno);
    }
    return {};
}

Result<Staged> stage(const std::string& path, std::string_view message) {
    struct stat st {};
    for (const char* sub : {"/tmp", "/new", "/cur"}) {
        std::string dir = path + sub;
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error{path, "not a Maildir (no tmp, new and cur folders)",
                         ExitCode::temp_fail};
    }
    if (auto quota = check_quota(path, message.size()); !quota)
        return quota.error();

    auto name = write_tmp(path, message);
    if (!name)
        return name.error();
    return Staged{path, std::move(*name), message.size()};
}

Result<std::string> publish(const Staged& staged) {
    // link() fails rather than replace a file that took the name first.
    std::string tmp = staged.tmp_path();
    std::string target = staged.new_path();
    if (::link(tmp.c_str(), target.c_str()) != 0) {
        int error = errno;
        ::unlink(tmp.c_str());
        return os_error(target, error);
    }
    ::unlink(tmp.c_str());
    // A link that may not survive a crash is taken back, so that a
    // failure always means the message is not in new/.
    if (auto synced =
            sync_path(staged.maildir + "/new", O_RDONLY | O_DIRECTORY);
        !synced) {
        ::unlink(target.c_str());
        return synced.error();
    }
    record_quota(staged.maildir, staged.size_bytes);
    return target;
}

void discard(const Staged& staged) {
    ::unlink(staged.tmp_path().c_str());
}

Result<std::string> deliver(const std::string& path, std::string_view message) {
    auto staged = stage(path, message);
    if (!staged)
        return staged.error();
    return publish(*staged);
}

} // namespace portcullis::maildir
