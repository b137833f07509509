// The --verdicts file: one write per line, under a lock held for a
// bounded time, and a line cut short taken back or left to cost only
// itself.
#include "core/verdict_log.hpp"
#include "core/file_lock.hpp"
#include "core/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::filter {

using nlohmann::ordered_json;

std::string envelope_line(const ordered_json& envelope) {
    return envelope.dump(-1, ' ', false,
                         nlohmann::json::error_handler_t::replace) +
           "\n";
}

// An envelope in the --json form. Without the message it is no stream
// record: "size" would promise bytes that do not follow, so it becomes
// "bytes".
void to_json_form(ordered_json& envelope, uint64_t message_bytes) {
    envelope.erase("size");
    envelope["bytes"] = message_bytes;
}

// The --json line for input that could not be read: the place the
// error names as its id, and the error instead of verdicts.
std::string error_line(const Error& error) {
    ordered_json line = stream::make_envelope(error.context, "");
    line.erase("size");
    line["error"] = error.message;
    return envelope_line(line);
}

VerdictLog::~VerdictLog() {
    if (fd_ >= 0)
        ::close(fd_);
}

// A regular file, or a device such as /dev/null: a FIFO would block
// the open until a reader came, and mixes lines past PIPE_BUF.
Status VerdictLog::open(const std::string& path) {
    if (path.empty())
        return {};
    path_ = path;
    // Said before open(2), whose answer for a FIFO with no reader
    // ("No such device or address") names no FIFO.
    struct stat named {};
    if (::stat(path.c_str(), &named) == 0 && S_ISFIFO(named.st_mode))
        return Error{path,
                     "a FIFO: verdict lines are appended to a regular "
                     "file, whole",
                     ExitCode::unavailable};
    // Read too, to see whether the last line was ended; a log the
    // filter may only write to is written all the same.
    constexpr int flags = O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK;
    fd_ = ::open(path.c_str(), O_RDWR | flags, 0640);
    if (fd_ < 0 && errno == EACCES)
        fd_ = ::open(path.c_str(), O_WRONLY | flags, 0640);
    if (fd_ < 0)
        return Error{path, std::strerror(errno), ExitCode::unavailable};
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
        return Error{path,
                     "not a regular file: verdict lines are appended to "
                     "a file, whole",
                     ExitCode::unavailable};
    regular_ = S_ISREG(st.st_mode);
    ::fcntl(fd_, F_SETFL, O_APPEND);
    return {};
}

// message_bytes: the record's size, which for one passed on unread
// is not its message's.
Status VerdictLog::append(const stream::Record& record,
                          uint64_t message_bytes) {
    if (fd_ < 0)
        return {};
    ordered_json envelope = record.envelope;
    to_json_form(envelope, message_bytes);
    return append_line(envelope_line(envelope), record.id());
}

/// An input error's line, as --json writes it: the log counts what
/// could not be read too.
Status VerdictLog::append_error(const Error& error) {
    if (fd_ < 0)
        return {};
    return append_line(error_line(error), error.context);
}

Status VerdictLog::append_line(const std::string& line, const std::string& id) {
    // Writers hold the file's lock from the size they found to the
    // end of their line, so a line cut short by a full disk can be
    // taken back before another writer's line joins it.
    bool locked = lock();
    struct stat st {};
    bool sized = regular_ && ::fstat(fd_, &st) == 0;
    // A line cut short and not taken back (written without the lock,
    // or by a writer killed mid-line) would swallow this one: it
    // starts on a line of its own, and the cut one costs only itself.
    std::string own_line;
    const std::string* out = &line;
    if (sized && last_line_unended(st.st_size)) {
        own_line = "\n" + line;
        out = &own_line;
    }
    ssize_t n = ::write(fd_, out->data(), out->size());
    int write_errno = errno;
    if (n > 0 && n < static_cast<ssize_t>(out->size()) && sized && locked)
        (void)::ftruncate(fd_, st.st_size);
    if (locked)
        file_lock::unlock(fd_);
    if (n == static_cast<ssize_t>(out->size()))
        return {};
    // A full disk or a file size limit passes: the message was
    // judged and written, and a retry (75) judges it again once the
    // log has room, so the log misses nothing.
    return Error{path_,
                 fmt::format("the line of {} is not written: {}", id,
                             n < 0 ? std::strerror(write_errno)
                                   : "short write: the disk is full or "
                                     "the file size limit reached"),
                 ExitCode::temp_fail};
}

// A lock held elsewhere past file_lock::most_wait (a reader's shared
// lock) is not waited for: the line is still one write, only not
// taken back. Once the wait has run out the holder is taken to be a
// reader that stays, and later lines try without waiting, so a batch
// is not slowed to one message per wait.
bool VerdictLog::lock() {
    if (!regular_)
        return false;
    auto wait =
        lock_waited_out_ ? std::chrono::milliseconds(0) : file_lock::most_wait;
    auto asked = std::chrono::steady_clock::now();
    if (file_lock::lock_exclusive(fd_, wait))
        return true;
    if (!lock_waited_out_ &&
        std::chrono::steady_clock::now() - asked >= file_lock::most_wait) {
        lock_waited_out_ = true;
        log::warning(fmt::format(
            "{}: locked elsewhere for {} ms (a reader?); lines are "
            "written without the lock, whole, and not waited for again",
            path_, file_lock::most_wait.count()));
    }
    return false;
}

// Whether the file's last byte is no line end; a file the filter may
// only write to is taken as ended.
bool VerdictLog::last_line_unended(off_t size) const {
    char last = '\n';
    return size > 0 && ::pread(fd_, &last, 1, size - 1) == 1 && last != '\n';
}

} // namespace portcullis::filter
