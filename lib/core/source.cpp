// Message sources. Folders are walked in sorted order so batch runs are
// repeatable; a Maildir is read in cur/ and new/ alone, as its tmp/ holds
// deliveries still being written and the rest is the mail server's own
// (dovecot.index, maildirsize, courierimapkeywords/); an mbox is read line by
// line so a large archive never has to fit in memory at once. A symbolic
// link met inside a folder is not followed unless asked: the folder's
// owner may have planted it for a reader with more rights.
#include "core/source.hpp"
#include "core/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::source {

using stream::Record;
using RecordResult = Result<std::optional<Record>>;

namespace {

constexpr size_t first_line_probe_bytes = 64 * 1024;

std::string_view strip_line_end(std::string_view line) {
    if (!line.empty() && line.back() == '\n')
        line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

bool is_blank_line(std::string_view line) {
    return strip_line_end(line).empty();
}

// Errors and records name an input by its id (stream::path_id), so an
// error line and a record of one file carry the same name.
Error os_error(const std::string& path, ExitCode code) {
    return Error{stream::path_id(path), std::strerror(errno), code};
}

Record make_record(std::string id, std::string_view source,
                   std::string message) {
    Record record;
    record.envelope = stream::make_envelope(id, source);
    record.message = std::move(message);
    record.envelope["size"] = record.message.size();
    return record;
}

// Whether name in the open folder is a folder, or a link to one.
bool is_folder_at(int folder_fd, const char* name) {
    struct stat st {};
    return ::fstatat(folder_fd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

Error not_regular(const std::string& path) {
    return Error{stream::path_id(path), "not a regular file or folder",
                 ExitCode::no_input};
}

Error not_followed(const std::string& path) {
    return Error{stream::path_id(path),
                 "a symbolic link, not followed (--follow-links reads it)",
                 ExitCode::no_input};
}

std::string join(const std::string& folder, const std::string& name) {
    return (!folder.empty() && folder.back() == '/' ? folder : folder + "/") +
           name;
}

} // namespace

bool is_mbox_separator(std::string_view line) {
    line = strip_line_end(line);
    if (line.substr(0, 5) != "From ")
        return false;
    std::string_view rest = line.substr(5);
    size_t sender_end = rest.find_first_of(" \t");
    if (sender_end == 0 || sender_end == std::string_view::npos)
        return false;
    std::string_view date = rest.substr(sender_end);

    // A date has a time (h:mm) and a four-digit year; body text that merely
    // starts with "From " almost never has both.
    bool has_time = false;
    bool has_year = false;
    for (size_t i = 0; i + 2 < date.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(date[i])) &&
            date[i + 1] == ':' &&
            std::isdigit(static_cast<unsigned char>(date[i + 2])))
            has_time = true;
    }
    for (size_t i = 0; i + 4 <= date.size(); ++i) {
        bool digits = true;
        for (size_t k = 0; k < 4; ++k)
            digits =
                digits && std::isdigit(static_cast<unsigned char>(date[i + k]));
        bool bounded_left =
            i == 0 || !std::isdigit(static_cast<unsigned char>(date[i - 1]));
        bool bounded_right =
            i + 4 == date.size() ||
            !std::isdigit(static_cast<unsigned char>(date[i + 4]));
        if (digits && bounded_left && bounded_right && date[i] != '0')
            has_year = true;
    }
    return has_time && has_year;
}

bool is_ctime_mbox_separator(std::string_view line) {
    if (!is_mbox_separator(line))
        return false;
    // "From sender Thu Jan  2 00:00:00 2020": after the sender, a day and
    // a month as asctime() writes them.
    std::string_view rest = strip_line_end(line).substr(5);
    rest.remove_prefix(std::min(rest.find_first_of(" \t"), rest.size()));
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    constexpr std::string_view days = "MonTueWedThuFriSatSun";
    constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    auto is_one_of = [](std::string_view word, std::string_view names) {
        for (size_t i = 0; i + 3 <= names.size(); i += 3)
            if (word == names.substr(i, 3))
                return true;
        return false;
    };
    return rest.size() >= 8 && is_one_of(rest.substr(0, 3), days) &&
           rest[3] == ' ' && is_one_of(rest.substr(4, 3), months) &&
           rest[7] == ' ';
}

std::string_view compression_of(std::string_view start) {
    if (start.starts_with("\x1f\x8b"))
        return "gzip";
    if (start.starts_with("BZh") && start.size() > 3 && start[3] >= '1' &&
        start[3] <= '9')
        return "bzip2";
    if (start.starts_with("\xfd"
                          "7zXZ"))
        return "xz";
    if (start.starts_with("\x28\xb5\x2f\xfd"))
        return "zstd";
    return {};
}

std::string_view decompressor_for(std::string_view kind) {
    return kind == "gzip"    ? "zcat"
           : kind == "bzip2" ? "bzcat"
           : kind == "xz"    ? "xzcat"
                             : "zstdcat";
}

void unquote_from(std::string& line, MboxVariant variant) {
    size_t quotes = 0;
    while (quotes < line.size() && line[quotes] == '>')
        ++quotes;
    if (quotes == 0 || line.compare(quotes, 5, "From ") != 0)
        return;
    if (variant == MboxVariant::mboxo && quotes != 1)
        return;
    line.erase(0, 1);
}

// Reads the messages of one mbox file, after its first separator line.
class Inputs::Mbox {
public:
    Mbox(int fd, const std::string& path, const Limits& limits,
         MboxVariant variant)
        : fd_(fd), id_(stream::path_id(path)), reader_(fd, id_),
          limits_(limits), variant_(variant) {}
    ~Mbox() { ::close(fd_); }

    ByteReader& reader() { return reader_; }

    /// The longest part of a line read at once; a separator line is far
    /// shorter.
    static constexpr size_t line_part_bytes = size_t{64} << 10;

    RecordResult next() {
        if (done_)
            return std::optional<Record>{};
        ++count_;
        std::string message;
        std::string line;
        bool line_start = true; // the next part read starts a line
        bool blank_before = true;
        bool too_large = false;
        for (;;) {
            // A line is read in parts: one longer than the size limit
            // makes its message too large, and is walked past to the
            // next separator like any other line of that message.
            bool complete = false;
            auto got = reader_.read_line_part(line, line_part_bytes, complete);
            if (!got)
                return got.error();
            if (!*got) {
                // So does the blank line that ends the last message.
                done_ = true;
                if (!too_large)
                    drop_trailing_blank_line(message);
                break;
            }
            // A From_ line in a body is quoted by whatever wrote the mbox,
            // so an unquoted one in asctime()'s form starts a message even
            // with no blank line before it: one message must not swallow
            // the next, unscanned.
            if (line_start && complete &&
                (blank_before ? is_mbox_separator(line)
                              : is_ctime_mbox_separator(line))) {
                if (!blank_before && !warned_unspaced_) {
                    warned_unspaced_ = true;
                    log::warning(fmt::format(
                        "{}:{}: a From_ line with no blank line before it "
                        "ends this message; the next is read apart",
                        id_, count_));
                }
                // The blank line before a separator belongs to the mbox.
                drop_trailing_blank_line(message);
                break;
            }
            blank_before = line_start && complete && is_blank_line(line);
            if (line_start)
                unquote_from(line, variant_);
            line_start = complete;
            if (message.size() + line.size() > limits_.message_bytes) {
                too_large = true;
                message.clear();
                message.shrink_to_fit();
            }
            if (!too_large)
                message += line;
        }
        std::string id =
            (count_ == 1 && done_) ? id_ : fmt::format("{}:{}", id_, count_);
        if (too_large)
            return Error{id, fmt::format("message exceeds limit "
                                         "message_bytes={}",
                                         limits_.message_bytes)};
        return std::optional<Record>{make_record(
            id, count_ == 1 && done_ ? "file" : "mbox", std::move(message))};
    }

private:
    static void drop_trailing_blank_line(std::string& message) {
        if (message.ends_with("\r\n\r\n"))
            message.resize(message.size() - 2);
        else if (message.ends_with("\n\n"))
            message.pop_back();
        else if (message == "\n" || message == "\r\n")
            message.clear();
    }

    int fd_;
    std::string id_; ///< the file's id, stream::path_id
    ByteReader reader_;
    const Limits& limits_;
    MboxVariant variant_;
    int count_ = 0;
    bool done_ = false;
    bool warned_unspaced_ = false;
};

Inputs::Inputs(std::vector<std::string> paths, const Limits& limits,
               MboxVariant variant)
    : paths_(std::move(paths)), limits_(limits), variant_(variant) {
    if (paths_.empty())
        paths_.push_back("-");
}

Inputs::~Inputs() = default;

RecordResult Inputs::next() {
    // A writer must see all its bytes taken, passed on or not.
    if (stdin_unread_) {
        stdin_unread_ = false;
        stdin_reader_->discard_all();
    }
    for (;;) {
        if (fatal_)
            return std::optional<Record>{};
        if (stream_) {
            auto record = stream_->next();
            if (record && *record)
                return record;
            if (!record && !stream_file_)
                fatal_ = true;
            stream_.reset();
            stream_file_.reset();
            if (!record)
                return record;
            continue;
        }
        if (mbox_) {
            auto record = mbox_->next();
            if (!record && record.error().exit_code == ExitCode::io_error)
                mbox_.reset();
            if (!record || *record)
                return record;
            mbox_.reset();
            continue;
        }
        if (!directories_.empty()) {
            Directory& dir = directories_.back();
            if (dir.next == dir.names.size()) {
                directories_.pop_back();
                continue;
            }
            // Copies: a subfolder pushed on the stack moves dir.
            std::string name = dir.names[dir.next++];
            std::string path = join(dir.path, name);
            Directory::Part part = dir.part;
            int fd = dir.fd;
            size_t depth = directories_.size();
            // A Maildir's new/ is walked before its cur/: a message a mail
            // program moves from new/ to cur/ meanwhile is read once,
            // from new/ if it was still there, else from cur/.
            Directory* maildir = part == Directory::Part::maildir_new ||
                                         part == Directory::Part::maildir_cur
                                     ? &directories_[depth - 2]
                                     : nullptr;
            std::string unique = name.substr(0, name.find(':'));
            if (part == Directory::Part::maildir_cur &&
                maildir->read_from_new.count(unique))
                continue;
            auto record = open_entry(fd, name, path);
            if (!record && part == Directory::Part::maildir_new &&
                ::faccessat(fd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
                errno == ENOENT)
                continue; // moved to cur/ since new/ was listed
            if (record && part == Directory::Part::maildir_new)
                directories_[depth - 2].read_from_new.insert(unique);
            if (part == Directory::Part::maildir && directories_.size() > depth)
                directories_.back().part = name == "new"
                                               ? Directory::Part::maildir_new
                                               : Directory::Part::maildir_cur;
            if (!record || *record)
                return record;
            continue;
        }
        if (next_path_ == paths_.size())
            return std::optional<Record>{};
        const std::string& path = paths_[next_path_++];
        auto record = path == "-" ? open_stdin() : open_path(path);
        if (!record || *record)
            return record;
    }
}

Status Inputs::copy_unread(const std::function<void(std::string_view)>& sink) {
    if (stdin_unread_) {
        stdin_unread_ = false;
        return stdin_reader_->copy_rest(sink);
    }
    if (!stream_)
        return {};
    Status copied = stream_->copy_unread(sink);
    if (!copied && !stream_file_)
        fatal_ = true;
    return copied;
}

RecordResult Inputs::open_stdin() {
    // stdin can be read only once; a second "-" would be an empty message.
    if (stdin_reader_)
        return std::optional<Record>{};
    stdin_reader_ = std::make_unique<ByteReader>(STDIN_FILENO, "-");
    // Named no input, a tool reads stdin; at a terminal that is seldom
    // what was meant (`spam-score learn --spam` with its folder left
    // out waited without a word).
    if (::isatty(STDIN_FILENO))
        log::warning("reading a message from standard input, a terminal: "
                     "name files or folders, or end the message with "
                     "Ctrl-D");
    auto first = stdin_reader_->peek();
    if (!first)
        return first.error();
    // No bytes at all is no message: an upstream filter that failed or
    // had nothing to pass on must not become a message here.
    if (*first < 0)
        return std::optional<Record>{};
    if (!only_messages_) {
        auto is_stream = stream::starts_stream(*stdin_reader_);
        if (!is_stream)
            return is_stream.error();
        if (*is_stream) {
            stream_ = std::make_unique<stream::Reader>(*stdin_reader_, limits_);
            return std::optional<Record>{};
        }
    }

    // Raw input is kept byte for byte, a leading From_ line included, so
    // a procmail filter hands back exactly what it was given.
    std::string message;
    auto read = stdin_reader_->read_all(message, limits_.message_bytes);
    if (!read && pass_oversized_stdin_ &&
        read.error().exit_code != ExitCode::io_error) {
        Record record = make_record("", "stdin", std::move(message));
        // A lower bound: the size is known once the rest is passed on.
        record.unread = record.message.size() + 1;
        stdin_unread_ = true;
        return std::optional<Record>{std::move(record)};
    }
    if (!read) {
        // The writer must see all its bytes taken, or it fails on SIGPIPE.
        stdin_reader_->discard_all();
        return Error{"-", read.error().message, read.error().exit_code};
    }
    warn_if_mbox(message);
    return std::optional<Record>{make_record("", "stdin", std::move(message))};
}

namespace {

// Blank lines an mbox may open with before its first From_ line.
constexpr int max_leading_blank_lines = 64;

// Where the first mbox separator line after a blank line (LF or CRLF)
// starts, at or after from; npos when there is none.
size_t separator_after_blank(std::string_view message, size_t from) {
    for (size_t at = message.find("\nFrom ", from);
         at != std::string_view::npos; at = message.find("\nFrom ", at + 1)) {
        std::string_view before = message.substr(0, at);
        if (at > 0 && !before.ends_with("\n") && !before.ends_with("\n\r"))
            continue;
        size_t start = at + 1;
        size_t end = message.find('\n', start);
        if (is_mbox_separator(message.substr(
                start, end == std::string_view::npos ? end : end + 1 - start)))
            return start;
    }
    return std::string_view::npos;
}

} // namespace

// Standard input is always one message (procmail hands a message over
// with its From_ line, and a body may hold an unquoted one), so "zcat
// box.gz | filter" reads a whole mbox as one message. That is said, once.
void Inputs::warn_if_mbox(std::string_view message) {
    if (std::string_view kind = compression_of(message); !kind.empty()) {
        log::warning(fmt::format("-: standard input is {}-compressed, read "
                                 "as one message: pipe it through {}",
                                 kind, decompressor_for(kind)));
        return;
    }
    // As a named file's: after a byte order mark and blank lines.
    std::string_view start = message;
    if (start.starts_with("\xEF\xBB\xBF"))
        start.remove_prefix(3);
    for (int i = 0; i < max_leading_blank_lines &&
                    (start.starts_with("\n") || start.starts_with("\r\n"));
         ++i)
        start.remove_prefix(start.find('\n') + 1);
    size_t line_end = start.find('\n');
    if (line_end == std::string_view::npos ||
        !is_mbox_separator(start.substr(0, line_end + 1)) ||
        separator_after_blank(start, line_end) == std::string_view::npos)
        return;
    log::warning("-: standard input is read as one message, and this one "
                 "holds more mbox separator lines: to read an mbox, name the "
                 "file, or <(zcat box.gz) for a compressed one");
}

Inputs::Directory::~Directory() {
    if (fd >= 0)
        ::close(fd);
}

// A path named on the command line is followed wherever it leads: the
// one who named it chose it.
RecordResult Inputs::open_path(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return os_error(path, ExitCode::no_input);
    if (S_ISDIR(st.st_mode)) {
        int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return os_error(path, ExitCode::no_input);
        return open_folder(fd, path);
    }
    // A FIFO is read when named on purpose (mime-split <(zcat box.gz)).
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        return not_regular(path);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return os_error(path, ExitCode::no_input);
    return read_file(fd, path, true);
}

// An entry found in a folder is looked at without following a link,
// then opened from the folder with O_NOFOLLOW and looked at again, so a
// link or a FIFO swapped in between the two is refused all the same. A
// FIFO would block the walk for ever: no one may ever write to it.
RecordResult Inputs::open_entry(int folder_fd, const std::string& name,
                                const std::string& path) {
    int no_follow = follow_links_ ? 0 : O_NOFOLLOW;
    struct stat st {};
    if (::fstatat(folder_fd, name.c_str(), &st,
                  follow_links_ ? 0 : AT_SYMLINK_NOFOLLOW) != 0)
        return os_error(path, ExitCode::no_input);
    if (S_ISLNK(st.st_mode))
        return not_followed(path);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return not_regular(path);

    int kind = S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY;
    int fd = ::openat(folder_fd, name.c_str(),
                      O_RDONLY | O_CLOEXEC | kind | no_follow);
    if (fd < 0 && errno == ELOOP && !follow_links_)
        return not_followed(path);
    if (fd < 0)
        return os_error(path, ExitCode::no_input);
    if (S_ISDIR(st.st_mode))
        return open_folder(fd, path);
    // O_NONBLOCK kept a FIFO swapped in from blocking the open; to a
    // regular file it means nothing.
    if (::fstat(fd, &st) != 0) {
        Error error = os_error(path, ExitCode::io_error);
        ::close(fd);
        return error;
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return not_regular(path);
    }
    return read_file(fd, path, false);
}

// Takes fd, an open folder, and pushes it on the walk.
RecordResult Inputs::open_folder(int fd, const std::string& path) {
    Directory dir(path, fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return os_error(path, ExitCode::io_error);
    // A cycle of followed links, or of bind mounts, would walk for ever.
    if (!visited_.insert({st.st_dev, st.st_ino}).second)
        return std::optional<Record>{};
    if (auto listed = list_folder(dir); !listed)
        return listed.error();
    directories_.push_back(std::move(dir));
    return std::optional<Record>{};
}

// Takes fd, an open file, and reads it as a message, an mbox or a
// saved stream.
RecordResult Inputs::read_file(int fd, const std::string& path, bool named) {
    auto mbox = std::make_unique<Mbox>(fd, path, limits_, variant_);

    // A saved stream (the output of a filter) named on the command line
    // is read as its records, as it would be on stdin. A file found in a
    // folder is a message whatever its first byte: a message's first line
    // is its sender's, and read as an envelope it would forge one.
    auto is_stream = only_messages_ || !named
                         ? Result<bool>(false)
                         : stream::starts_stream(mbox->reader());
    if (is_stream && *is_stream) {
        stream_ = std::make_unique<stream::Reader>(mbox->reader(), limits_);
        stream_file_ = std::move(mbox);
        return std::optional<Record>{};
    }

    std::string first;
    auto got = mbox->reader().read_line(first, first_line_probe_bytes);
    // An mbox written by a careless tool may open with blank lines.
    std::string blanks;
    for (int i = 0;
         i < max_leading_blank_lines && got && *got && is_blank_line(first);
         ++i) {
        blanks += first;
        got = mbox->reader().read_line(first, first_line_probe_bytes);
    }
    // An mbox saved by a Windows editor starts with a byte order mark.
    std::string_view separator = first;
    if (separator.starts_with("\xEF\xBB\xBF"))
        separator.remove_prefix(3);
    if (got && *got && is_mbox_separator(separator)) {
        mbox_ = std::move(mbox);
        return mbox_->next();
    }

    // Not an mbox: the whole file is one message. A first line too long to
    // probe is simply more message.
    std::string message = blanks + first;
    auto read = mbox->reader().read_all(message, limits_.message_bytes);
    if (!read)
        return Error{mbox->reader().name(), read.error().message,
                     read.error().exit_code};
    // A compressed archive would be judged as one unreadable message.
    if (std::string_view kind = compression_of(message); !kind.empty())
        log::warning(fmt::format("{}: a {}-compressed file, read as one "
                                 "message: to read the mail it holds, name "
                                 "<({} FILE)",
                                 mbox->reader().name(), kind,
                                 decompressor_for(kind)));
    else
        warn_if_holds_mbox(mbox->reader().name(), message);
    return std::optional<Record>{
        make_record(mbox->reader().name(), "file", std::move(message))};
}

// A file that is one message but holds mbox From_ lines after blank
// lines may be an mbox that does not open with one ("From MAILER-DAEMON"
// with no date): its messages would be judged as one. That is said.
void Inputs::warn_if_holds_mbox(std::string_view name,
                                std::string_view message) {
    size_t start = separator_after_blank(message, 0);
    if (start == std::string_view::npos)
        return;
    log::warning(fmt::format(
        "{}: read as one message, but it holds an mbox From_ line at "
        "byte {}: an mbox must open with its first From_ line",
        name, start));
}

namespace {

// What a mail server keeps beside a Maildir's cur/, new/ and tmp/.
bool is_maildir_own(std::string_view name) {
    return name == "tmp" || name == "maildirsize" || name == "maildirfolder" ||
           name == "subscriptions" || name.starts_with("dovecot") ||
           name.starts_with("courierimap");
}

// The first few names, sorted, and how many more.
std::string name_some(std::vector<std::string>& names) {
    constexpr size_t max_named = 5;
    std::sort(names.begin(), names.end());
    std::string out;
    for (size_t i = 0; i < names.size() && i < max_named; ++i)
        out += (i ? ", " : "") + names[i];
    if (names.size() > max_named)
        out += fmt::format(" and {} more", names.size() - max_named);
    return out;
}

} // namespace

Status Inputs::list_folder(Directory& dir) {
    // closedir() closes the descriptor it reads: it gets a copy.
    int copy = ::fcntl(dir.fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return os_error(dir.path, ExitCode::no_input);
    DIR* handle = ::fdopendir(copy);
    if (!handle) {
        Error error = os_error(dir.path, ExitCode::no_input);
        ::close(copy);
        return error;
    }
    // A Maildir restored from a backup may have lost its empty new/ and
    // tmp/: cur/ alone makes one, so that the mail server's own files
    // beside it are never read as mail.
    bool is_maildir = is_folder_at(dir.fd, "cur");
    std::vector<std::string> subfolders; ///< Maildir++ folders not read
    std::vector<std::string> others;     ///< neither mail nor the server's
    errno = 0;
    while (dirent* entry = ::readdir(handle)) {
        std::string name = entry->d_name;
        // Hidden files are editor and sync droppings, and a Maildir++
        // subfolder (.Junk) is read only when named.
        if (is_maildir && name.size() > 1 && name[0] == '.' && name != ".." &&
            is_folder_at(dir.fd, name.c_str()))
            subfolders.push_back(name);
        if (name.empty() || name[0] == '.')
            continue;
        if (is_maildir && name != "cur" && name != "new") {
            if (!is_maildir_own(name))
                others.push_back(name);
            continue;
        }
        dir.names.push_back(std::move(name));
    }
    int saved = errno;
    ::closedir(handle);
    if (saved != 0) {
        errno = saved;
        return os_error(dir.path, ExitCode::io_error);
    }
    // Named, so that a scan of a whole mailbox does not read its inbox
    // alone unawares, and a cur/ made in a drop folder hides nothing.
    if (!subfolders.empty())
        log::warning(fmt::format("{}: a Maildir, read in cur/ and new/; its "
                                 "folders {} are read only when named",
                                 stream::path_id(dir.path),
                                 name_some(subfolders)));
    if (!others.empty())
        log::warning(fmt::format("{}: a Maildir, read in cur/ and new/; not "
                                 "read beside them: {}",
                                 stream::path_id(dir.path), name_some(others)));
    std::sort(dir.names.begin(), dir.names.end());
    if (is_maildir) {
        dir.part = Directory::Part::maildir;
        std::reverse(dir.names.begin(), dir.names.end()); // new/, then cur/
    }
    return {};
}

} // namespace portcullis::source
