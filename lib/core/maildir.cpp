// Maildir delivery as qmail's maildir(5) describes it. Every system call
// is checked where it is made; the error names the path and the OS text.
#include "core/maildir.hpp"

#include "core/file_kind.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <optional>

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
// out, in either order; 0 or absent is no limit); each later line is
// "<bytes> <count>" for a delivery, or negative for a removal.
struct MaildirSize {
    long long quota_bytes = 0;
    long long quota_count = 0;
    long long bytes = 0; ///< the usage lines added up
    long long count = 0;
    /// The file cannot be right: a number beyond the range of long long,
    /// a sum that overflows or ends below zero, a negative quota, or a
    /// line longer than any Maildir++ writes. Added up regardless, such
    /// a file made a mailbox far over its quota look under it.
    bool corrupt = false;
};

// Reads a whole number at the front of text, after blanks, and moves
// past it; nullopt when there is none. One out of range marks corrupt.
std::optional<long long> take_number(std::string_view& text, bool& corrupt) {
    size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos)
        return std::nullopt;
    text.remove_prefix(start);
    long long value = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::invalid_argument)
        return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (error == std::errc::result_out_of_range) {
        corrupt = true;
        return std::nullopt;
    }
    return value;
}

void parse_quota(std::string_view line, MaildirSize& size) {
    while (auto value = take_number(line, size.corrupt)) {
        if (line.empty())
            break;
        if (line.front() == 'S')
            size.quota_bytes = *value;
        else if (line.front() == 'C')
            size.quota_count = *value;
        else
            break;
        if (*value < 0)
            size.corrupt = true;
        line.remove_prefix(1);
        if (line.empty() || line.front() != ',')
            break;
        line.remove_prefix(1);
    }
}

// A line that is not two numbers is skipped, as it always was.
void add_usage(std::string_view line, MaildirSize& size) {
    auto bytes = take_number(line, size.corrupt);
    if (!bytes)
        return;
    auto count = take_number(line, size.corrupt);
    if (!count)
        return;
    if (__builtin_add_overflow(size.bytes, *bytes, &size.bytes) ||
        __builtin_add_overflow(size.count, *count, &size.count))
        size.corrupt = true;
}

// Reads the open file. An I/O error is an Error; a file that does not
// add up is read as corrupt.
Result<MaildirSize> read_maildirsize(FILE* in, const std::string& file) {
    MaildirSize size;
    char line[256];
    bool first = true;
    while (std::fgets(line, sizeof line, in)) {
        std::string_view text(line, std::strlen(line));
        // A line longer than the buffer, or one holding a NUL, would be
        // read in pieces as lines of their own.
        if ((text.empty() || text.back() != '\n') && !std::feof(in)) {
            size.corrupt = true;
            break;
        }
        if (first)
            parse_quota(text, size);
        else
            add_usage(text, size);
        first = false;
    }
    if (std::ferror(in))
        return os_error(file, errno);
    if (size.bytes < 0 || size.count < 0)
        size.corrupt = true;
    return size;
}

// Opens path's maildirsize for reading; nullptr when there is none.
Result<FILE*> open_maildirsize(const std::string& path) {
    std::string file = path + "/maildirsize";
    // O_NONBLOCK: opening a FIFO put there would wait for ever.
    int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int error = errno;
        ::close(fd);
        return os_error(file, error);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error{path,
                     fmt::format("maildirsize is {}, not a regular file; "
                                 "mailbox counted as over its quota",
                                 file_kind(st.st_mode)),
                     ExitCode::temp_fail};
    }
    FILE* in = ::fdopen(fd, "r");
    if (!in) {
        int error = errno;
        ::close(fd);
        return os_error(file, error);
    }
    return in;
}

bool over_quota(const MaildirSize& size, size_t message_bytes) {
    long long after = 0;
    bool over_bytes =
        size.quota_bytes > 0 &&
        (__builtin_add_overflow(
             size.bytes, static_cast<long long>(message_bytes), &after) ||
         after > size.quota_bytes);
    bool over_count = size.quota_count > 0 && size.count >= size.quota_count;
    return over_bytes || over_count;
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

// Syncs the new/ folder of each Maildir that staged names, once each.
Status sync_new_folders(std::span<const Staged> staged) {
    std::vector<std::string> synced;
    for (const Staged& one : staged) {
        if (std::find(synced.begin(), synced.end(), one.maildir) !=
            synced.end())
            continue;
        synced.push_back(one.maildir);
        if (auto ok = sync_path(one.maildir + "/new", O_RDONLY | O_DIRECTORY);
            !ok)
            return ok;
    }
    return {};
}

// Removes the names linked into new/ and syncs their folders, so that
// the removal outlasts a crash; returns the indexes of those that could
// not be removed. A name already gone was removed by someone else.
std::vector<size_t> take_back(std::span<const Staged> linked) {
    std::vector<size_t> left;
    for (size_t i = 0; i < linked.size(); ++i) {
        if (::unlink(linked[i].new_path().c_str()) != 0 && errno != ENOENT)
            left.push_back(i);
    }
    (void)sync_new_folders(linked);
    return left;
}

void remove_tmp(std::span<const Staged> staged) {
    for (const Staged& one : staged)
        ::unlink(one.tmp_path().c_str());
}

} // namespace

// Maildir++ asks for an implausible maildirsize to be recomputed from
// the messages. That is the job of the server that owns the Maildir,
// which also keeps the file up to date as messages are removed; a
// copier that rewrote it would race with that server. So a corrupt file
// counts as over quota, the safe side: the copy goes elsewhere, and the
// error says why.
Status check_quota(const std::string& path, size_t message_bytes) {
    auto in = open_maildirsize(path);
    if (!in)
        return in.error();
    if (*in == nullptr)
        return {};
    auto size = read_maildirsize(*in, path + "/maildirsize");
    std::fclose(*in);
    if (!size)
        return size.error();
    if (size->corrupt)
        return Error{path,
                     "maildirsize does not add up; mailbox counted as over "
                     "its quota",
                     ExitCode::temp_fail};
    if (over_quota(*size, message_bytes))
        return Error{path, "mailbox is over its quota", ExitCode::temp_fail};
    return {};
}

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

namespace {

// Whether two folders are on one mount, so that link() between them
// can work: the mount id where the kernel gives it (a bind mount of the
// same file system is another mount, and link() across it fails too),
// else the device.
bool same_mount(const struct statx& a, const struct statx& b) {
    if ((a.stx_mask & b.stx_mask & STATX_MNT_ID) != 0)
        return a.stx_mnt_id == b.stx_mnt_id;
    return a.stx_dev_major == b.stx_dev_major &&
           a.stx_dev_minor == b.stx_dev_minor;
}

} // namespace

// A new/ this process may not write in, or on another mount than tmp/
// (EXDEV), would refuse a message only once it is staged, and a caller
// that records the delivery in between (wiretap) has then promised it.
Status check_linkable(const std::string& path) {
    std::string tmp = path + "/tmp";
    std::string target = path + "/new";
    // The effective ids are the ones the link will run with.
    if (::faccessat(AT_FDCWD, target.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
        return os_error(target, errno);
    struct statx from {};
    if (::statx(AT_FDCWD, tmp.c_str(), 0, STATX_MNT_ID, &from) != 0)
        return os_error(tmp, errno);
    struct statx to {};
    if (::statx(AT_FDCWD, target.c_str(), 0, STATX_MNT_ID, &to) != 0)
        return os_error(target, errno);
    if (!same_mount(from, to))
        return Error{path,
                     "tmp and new are on different mounts, so a message "
                     "cannot be linked from one into the other",
                     ExitCode::temp_fail};
    return {};
}

namespace {

// Whether link() failed because the file system has no hard links
// (exFAT, CIFS, some FUSE mounts), rather than for this one message.
bool no_hard_links(int error) {
    return error == EPERM || error == ENOTSUP || error == EOPNOTSUPP ||
           error == ENOSYS;
}

// Moves a message from tmp/ into new/ where the file system cannot link
// it, as Dovecot does. It must never replace a file that took the name
// first: RENAME_NOREPLACE where the file system has it, else a look
// first, which only a name made unique by host, process and counter
// could lose to.
int move_into_new(const std::string& tmp, const std::string& target) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(),
                    RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return errno;
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0)
        return EEXIST;
    if (::rename(tmp.c_str(), target.c_str()) != 0)
        return errno;
    return 0;
}

// Links (or moves) one staged message into new/; 0 or the errno.
int link_into_new(const Staged& staged) {
    std::string tmp = staged.tmp_path();
    std::string target = staged.new_path();
    if (::link(tmp.c_str(), target.c_str()) == 0)
        return 0;
    int error = errno;
    if (!no_hard_links(error))
        return error;
    return move_into_new(tmp, target);
}

} // namespace

Result<Staged> stage(const std::string& path, std::string_view message) {
    struct stat st {};
    for (const char* sub : {"/tmp", "/new", "/cur"}) {
        std::string dir = path + sub;
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error{path, "not a Maildir (no tmp, new and cur folders)",
                         ExitCode::temp_fail};
    }
    if (auto linkable = check_linkable(path); !linkable)
        return linkable.error();
    if (auto quota = check_quota(path, message.size()); !quota)
        return quota.error();

    auto name = write_tmp(path, message);
    if (!name)
        return name.error();
    return Staged{path, std::move(*name), message.size()};
}

Result<std::string> publish(const Staged& staged) {
    Publication done = publish_all(std::span<const Staged>(&staged, 1));
    if (!done.status)
        return done.status.error();
    return staged.new_path();
}

Publication publish_all(std::span<const Staged> staged) {
    Publication done;
    // link() fails rather than replace a file that took the name first.
    size_t linked = 0;
    for (; linked < staged.size(); ++linked) {
        if (int error = link_into_new(staged[linked]); error != 0) {
            done.status = os_error(staged[linked].new_path(), error);
            break;
        }
    }
    // A link that may not survive a crash is taken back as well, so that
    // a failure always means that none of the messages is in new/.
    if (done.status)
        done.status = sync_new_folders(staged);
    if (!done.status) {
        done.left_in_new = take_back(staged.first(linked));
        remove_tmp(staged);
        return done;
    }

    remove_tmp(staged);
    for (const Staged& one : staged)
        record_quota(one.maildir, one.size_bytes);
    return done;
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
