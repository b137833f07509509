// wiretap's handler for the shared filter loop. Unlike other filters it
// may write more records than it reads: after the original come the
// copies bound for review addresses and the notices about copies that
// could not be filed, each with an envelope of its own, so nothing about
// them touches the original. A Maildir copy waits under tmp/ until its
// audit line is on disk, so no copy is ever seen without one, and a
// record's copies go into new/ all or none. A copy that can be kept
// nowhere, or whose line cannot be written, fails its record with
// tempfail, so the mail is tried again and no copy is lost; a set-up
// that could keep none fails every message at start-up alike.
#include "wiretap.hpp"

#include "core/file_kind.hpp"
#include "core/file_lock.hpp"
#include "core/log.hpp"
#include "core/maildir.hpp"
#include "core/strings.hpp"
#include "core/utc_time.hpp"
#include "core/watchdog.hpp"
#include "mail/charset.hpp"
#include "mail/verdict.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <random>

namespace portcullis::wiretap {

namespace {

constexpr const char* tool_name = "wiretap";

// A detail of a copy already has its line in the admin log; where
// stderr is discreet it is not said again.
void detail(std::string_view text) {
    if (!log::discreet())
        log::error(text);
}

Error not_regular(const std::string& path, mode_t mode) {
    return Error{path, fmt::format("{}, not a regular file", file_kind(mode)),
                 ExitCode::temp_fail};
}

// An open refused for what the path is (a FIFO with no reader, a
// socket, a folder) says what it is rather than the OS text.
Error open_error(const std::string& path, int error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode);
    return Error{path, std::strerror(error), ExitCode::temp_fail};
}

// The admin log is opened for each record with mode 0600, so a log that
// rotation removed comes back with the same narrow permissions. It is
// opened before any copy is made, so a log that will not open costs no
// copy at all. It must be a regular file: opening a FIFO waits for a
// reader for ever, and a device (/dev/null) takes the audit lines and
// keeps none. O_NONBLOCK keeps the open from waiting; a regular file
// ignores it. It is opened for reading too, to see how it ends.
Result<int> open_admin_log(const Settings& settings) {
    const std::string& path = settings.log_file;
    int fd = ::open(
        path.c_str(),
        O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0)
        return open_error(path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int error = errno;
        ::close(fd);
        return Error{path, std::strerror(error), ExitCode::temp_fail};
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return not_regular(path, st.st_mode);
    }
    // A log made by hand or by an older setup is narrowed the same way:
    // it names who is watched.
    if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0 && !log::discreet())
        log::warning(fmt::format("{}: {}", path, std::strerror(errno)));
    return fd;
}

// Writes the lines, syncs them and closes fd; every line has the same
// time stamp. The sync comes before any copy the lines name is linked
// into new/: a crash may leave a line naming a copy that is missing,
// never a copy without its line.
// Whether the log is empty or ends with a line end. A write that a full
// disk cut short leaves half a line, which stays (an audit log is never
// cut back); the next write ends it first, so its own lines start whole.
bool ends_a_line(int fd) {
    struct stat st {};
    char last = '\n';
    if (::fstat(fd, &st) != 0 || st.st_size == 0)
        return true;
    return ::pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n';
}

Status write_admin_log(int fd, const Settings& settings,
                       const std::vector<std::string>& lines) {
    std::string stamp = utc_now(rfc3339_utc) + " ";
    // How the log ends and the write after it are one step: another
    // wiretap appending in between made the end look cut short, and an
    // empty line followed. Every writer of the log is a wiretap, and
    // each takes the lock, which close() lets go. A file system without
    // locks, or a lock held past file_lock::most_wait (a shared lock by
    // anyone who may read the log would otherwise stop tapped mail
    // alone), writes unlocked rather than lose the line or wait.
    (void)file_lock::lock_exclusive(fd);
    std::string text;
    if (!ends_a_line(fd))
        text += "\n";
    for (const std::string& line : lines)
        text += stamp + line + "\n";
    std::string_view rest = text;
    int error = 0;
    while (!rest.empty()) {
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = errno;
            break;
        }
        rest.remove_prefix(static_cast<size_t>(n));
    }
    if (error == 0 && ::fsync(fd) != 0)
        error = errno;
    if (::close(fd) != 0 && error == 0)
        error = errno;
    if (error != 0)
        return Error{settings.log_file, std::strerror(error),
                     ExitCode::temp_fail};
    return {};
}

std::string random_hex(size_t bytes) {
    static std::random_device device;
    std::string out;
    for (size_t i = 0; i < bytes; ++i)
        out += fmt::format("{:02x}", device() & 0xff);
    return out;
}

stream::Record copy_record(const std::string& id, const std::string& mail_from,
                           const std::string& rcpt, std::string message) {
    stream::Record copy;
    copy.envelope = stream::make_envelope(id, tool_name);
    copy.envelope["mail_from"] = mail_from;
    copy.envelope["rcpt"] = nlohmann::ordered_json::array({rcpt});
    copy.message = std::move(message);
    return copy;
}

// A copy a review Maildir refused, for the notice.
struct Refusal {
    std::string tap;
    std::string maildir;
    std::string error;
    std::string kept_at; ///< where the copy waits instead
};

// One notice to the administrator's bounce address with the copy inside,
// for all the Maildirs that refused the message's copies, so a review
// mailbox that is full or gone never costs a copy. One notice, not one
// per tap: each would hold the message, and a message that twenty taps
// copy would be held twenty-one times in memory.
std::string failure_notice(const stream::Record& original,
                           const std::vector<Refusal>& refused,
                           const Settings& settings) {
    std::string boundary;
    do {
        boundary = "=_wiretap_" + random_hex(12);
    } while (original.message.find(boundary) != std::string::npos);
    std::string out;
    out += "From: Portcullis wiretap <" + settings.bounce_address + ">\r\n";
    out += "To: <" + settings.bounce_address + ">\r\n";
    std::string subject = "Subject: wiretap copy not filed for tap ";
    if (refused.size() > 1)
        subject = "Subject: wiretap copies not filed for taps ";
    std::string names;
    for (const Refusal& refusal : refused)
        names += (names.empty() ? "" : ", ") + refusal.tap;
    out += subject + mime::encode_words(names, subject.size()) + "\r\n";
    out += "Date: " + utc_now("%a, %d %b %Y %H:%M:%S +0000") + "\r\n";
    out += "Message-ID: <wiretap." + random_hex(16) + "@portcullis>\r\n";
    out += "Auto-Submitted: auto-generated\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
    for (const Refusal& refusal : refused) {
        out += fmt::format("The copy of message {} for tap {} could not be "
                           "filed in {}:\r\n{}\r\n",
                           original.id(), refusal.tap,
                           terminal_safe(refusal.maildir), refusal.error);
        out += refusal.kept_at.empty()
                   ? "\r\n"
                   : "It was kept in " + refusal.kept_at + ".\r\n\r\n";
    }
    out += "The copy is attached.\r\n";
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: message/rfc822\r\n";
    out += "Content-Disposition: attachment; filename=\"copy.eml\"\r\n\r\n";
    out += original.message;
    out += "\r\n--" + boundary + "--\r\n";
    return out;
}

// One line of the admin log. Its ending waits until the record's fate
// is known, so the log never claims a copy or notice that was not sent.
struct Line {
    std::string text;
    std::string if_sent = {};   ///< appended when the record passes
    std::string if_failed = {}; ///< appended when it is tried again
};

// A Maildir copy under tmp/, waiting for its audit line.
struct StagedCopy {
    maildir::Staged file;
    size_t line = 0; ///< its line in Copies::lines
};

// What one record's taps came to.
struct Copies {
    std::vector<Line> lines;
    std::vector<StagedCopy> staged;        ///< Maildir copies, not yet seen
    std::vector<stream::Record> followers; ///< copies and notices
    int kept = 0;                          ///< copies that will exist
    bool lost = false;                     ///< a copy could be kept nowhere
    /// The one copy for all review addresses, in followers: a record
    /// with one recipient each, so the message is held once.
    std::optional<size_t> address_copy;
    std::vector<Refusal> refused; ///< for the one notice
};

std::string destination(const Tap& tap) {
    return tap.maildir.empty() ? tap.deliver_to : "maildir:" + tap.maildir;
}

std::string line_head(const stream::Record& original, const Tap& tap) {
    return fmt::format("id={} tap={} to={}", log::quote_value(original.id()),
                       log::quote_value(tap.name),
                       log::quote_value(destination(tap)));
}

// Stages a copy that its destination could not take where only the
// administrator looks, so it survives even without a bounce address.
Result<maildir::Staged> keep_undelivered(const Settings& settings,
                                         const stream::Record& original) {
    if (auto made = maildir::create(settings.undelivered_dir); !made)
        return made.error();
    return maildir::stage(settings.undelivered_dir, original.message);
}

// Stages a copy that could not reach its destination, for the reason
// error, in the undelivered Maildir and returns the path it will have
// there; nullopt when it can be kept nowhere.
std::optional<std::string> keep_or_lose(const Settings& settings,
                                        const stream::Record& original,
                                        const std::string& head,
                                        const std::string& error,
                                        Copies& copies) {
    std::string failed = " result=failed error=" + log::quote_value(error);
    auto kept = keep_undelivered(settings, original);
    if (!kept) {
        detail(kept.error().text());
        copies.lost = true;
        copies.lines.push_back(
            {head + failed +
             fmt::format(" kept=none kept_error={}",
                         log::quote_value(kept.error().text()))});
        return std::nullopt;
    }
    std::string path = kept->new_path();
    ++copies.kept;
    copies.lines.push_back(
        {head, failed + " kept=" + log::quote_value(path),
         " result=deferred error=" + log::quote_value(error)});
    copies.staged.push_back({std::move(*kept), copies.lines.size() - 1});
    return path;
}

void copy_to_maildir(const Settings& settings, filter::OutputForm form,
                     const Tap& tap, const stream::Record& original,
                     Copies& copies) {
    std::string head = line_head(original, tap);
    auto staged = maildir::stage(tap.maildir, original.message);
    if (staged) {
        ++copies.kept;
        copies.lines.push_back(
            {head, " result=filed file=" + log::quote_value(staged->new_path()),
             " result=deferred"});
        copies.staged.push_back({std::move(*staged), copies.lines.size() - 1});
        return;
    }
    const Error& refused = staged.error();
    auto kept = keep_or_lose(settings, original, head, refused.text(), copies);
    if (!kept)
        return;
    Line& line = copies.lines.back();
    if (settings.bounce_address.empty() || form != filter::OutputForm::stream) {
        line.if_sent += " notice_to=none";
        return;
    }
    line.if_sent += " notice_to=" + settings.bounce_address;
    copies.refused.push_back({tap.name, tap.maildir, refused.text(), *kept});
}

void copy_to_address(const Settings& settings, filter::OutputForm form,
                     const Tap& tap, const stream::Record& original, int number,
                     Copies& copies) {
    std::string head = line_head(original, tap);
    // --headers and --json carry one message out per message in: the
    // copy waits in the undelivered Maildir, as one a Maildir refused.
    if (form != filter::OutputForm::stream) {
        keep_or_lose(settings, original, head,
                     "the output form cannot carry a copy", copies);
        return;
    }
    if (!copies.address_copy) {
        copies.followers.push_back(copy_record(
            fmt::format("{}/wiretap-{}", original.id(), number),
            settings.bounce_address, tap.deliver_to, original.message));
        copies.address_copy = copies.followers.size() - 1;
        ++copies.kept;
    } else {
        // Two taps sending to one review address give it one copy.
        auto& rcpt = copies.followers[*copies.address_copy].envelope["rcpt"];
        if (std::find(rcpt.begin(), rcpt.end(), tap.deliver_to) == rcpt.end()) {
            rcpt.push_back(tap.deliver_to);
            ++copies.kept;
        }
    }
    std::string id = copies.followers[*copies.address_copy].id();
    copies.lines.push_back({head,
                            " result=queued copy_id=" + log::quote_value(id),
                            " result=deferred"});
}

// A record that tempfails for a lost copy is tried again whole. Its
// reason is the generic one: the envelope travels through later filters
// and their logs, and a reason that went on to a bounce would tell the
// sender that the mail is watched. The admin log has the details.
Error copy_not_kept() {
    return Error{"", generic_failure, ExitCode::temp_fail};
}

// What the earlier filters did to a record, for the log:
// "av-scan:discard,spam-score:pass", or "none".
std::string earlier_actions(const stream::Record& record) {
    auto verdicts = record.envelope.find("verdicts");
    if (verdicts == record.envelope.end() || !verdicts->is_array())
        return "none";
    auto text_of = [](const nlohmann::ordered_json& verdict, const char* key) {
        auto field = verdict.find(key);
        return field != verdict.end() && field->is_string()
                   ? field->get<std::string>()
                   : std::string("?");
    };
    std::string out;
    for (const auto& verdict : *verdicts) {
        if (!verdict.is_object())
            continue;
        if (!out.empty())
            out += ',';
        out += text_of(verdict, "tool") + ":" + text_of(verdict, "action");
    }
    return out.empty() ? "none" : out;
}

// A record whose message an earlier filter deleted (av-scan removing a
// virus) has no bytes to copy, and an empty file in the review Maildir
// would pretend to be the message. The event is still the reviewer's to
// see: the watched person was sent a message that was deleted. So the
// log says so with the earlier actions, and the effect says no copy.
Result<filter::Outcome> note_emptied(const Settings& settings,
                                     const stream::Record& record,
                                     const std::vector<const Tap*>& taps,
                                     int log_fd, verdict::Verdict& verdict) {
    std::string earlier = log::quote_value(earlier_actions(record));
    std::vector<std::string> lines;
    for (const Tap* tap : taps)
        lines.push_back(line_head(record, *tap) +
                        " result=emptied earlier=" + earlier);
    if (auto logged = write_admin_log(log_fd, settings, lines); !logged) {
        detail(logged.error().text());
        return copy_not_kept();
    }
    verdict.add_effect(
        {{"type", "wiretap"}, {"copies", 0}, {"result", "emptied"}});
    filter::Outcome outcome;
    outcome.verdict = verdict.to_json();
    return outcome;
}

// Makes each tap's copy, a Maildir copy under tmp/ alone, and the lines
// that will say what became of them.
// XXX: each copy checks its Maildir's quota before any is counted, so
// two taps filing into one Maildir may leave it a copy over its quota.
void stage_copies(const Settings& settings, filter::OutputForm form,
                  const std::vector<const Tap*>& taps,
                  const stream::Record& record, Copies& copies) {
    int number = 0;
    for (const Tap* tap : taps) {
        ++number;
        if (!tap->maildir.empty())
            copy_to_maildir(settings, form, *tap, record, copies);
        else
            copy_to_address(settings, form, *tap, record, number, copies);
    }
    // A notice about a failed delivery has the null return path, as
    // RFC 5321 section 4.5.5 asks, so it can never loop.
    if (!copies.refused.empty())
        copies.followers.push_back(
            copy_record(fmt::format("{}/wiretap-notice", record.id()), "",
                        settings.bounce_address,
                        failure_notice(record, copies.refused, settings)));
}

std::vector<std::string> log_lines(const Copies& copies) {
    std::vector<std::string> lines;
    for (const Line& line : copies.lines)
        lines.push_back(line.text +
                        (copies.lost ? line.if_failed : line.if_sent));
    return lines;
}

void discard_copies(const Copies& copies) {
    for (const StagedCopy& copy : copies.staged)
        maildir::discard(copy.file);
}

// Removes a record's staged copies when it leaves tap_record by any way
// but a publication, an exception (memory running out for a notice)
// included: the record is tried again, and a copy left under tmp/ on
// each try would fill the disk.
class DiscardUnlessPublished {
public:
    explicit DiscardUnlessPublished(const Copies& copies) : copies_(copies) {}
    ~DiscardUnlessPublished() {
        if (!published_)
            discard_copies(copies_);
    }
    DiscardUnlessPublished(const DiscardUnlessPublished&) = delete;
    DiscardUnlessPublished& operator=(const DiscardUnlessPublished&) = delete;

    void published() { published_ = true; }

private:
    const Copies& copies_;
    bool published_ = false;
};

// Links the staged copies into new/, now that their lines are on disk:
// all of them or none, since a record that fails is tried again and a
// copy left in new/ would then be filed twice. Every copy of the record,
// one for a review address included (it is not sent), gets a second
// line withdrawing its first; a copy that could not be taken out of
// new/ again keeps its first line alone, which is then the truth.
bool publish_copies(const Settings& settings, const Copies& copies) {
    std::vector<maildir::Staged> files;
    for (const StagedCopy& copy : copies.staged)
        files.push_back(copy.file);
    maildir::Publication published = maildir::publish_all(files);
    if (published.status)
        return true;

    const Error& error = published.status.error();
    detail(error.text());
    std::vector<bool> filed(copies.lines.size(), false);
    for (size_t index : published.left_in_new)
        filed[copies.staged[index].line] = true;
    std::vector<std::string> withdrawn;
    for (size_t i = 0; i < copies.lines.size(); ++i) {
        if (!filed[i])
            withdrawn.push_back(
                copies.lines[i].text +
                " result=withdrawn error=" + log::quote_value(error.text()));
    }
    if (auto log_fd = open_admin_log(settings))
        (void)write_admin_log(*log_fd, settings, withdrawn);
    return false;
}

// The lines may be in the log although their write or sync failed (a
// disk error on fsync), saying filed or queued of copies that are now
// removed. Where the log can still take them, a second line for each
// withdraws the first, so the log tells the truth.
void withdraw_lines(const Settings& settings, const Copies& copies,
                    const Error& error) {
    if (copies.lost)
        return; // the lines said deferred or kept=none: nothing was claimed
    std::vector<std::string> withdrawn;
    for (const Line& line : copies.lines)
        withdrawn.push_back(line.text + " result=withdrawn error=" +
                            log::quote_value(error.text()));
    if (auto log_fd = open_admin_log(settings))
        (void)write_admin_log(*log_fd, settings, withdrawn);
}

Result<filter::Outcome> tap_record(const Settings& settings,
                                   filter::OutputForm form,
                                   stream::Record& record) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    auto taps = matching_taps(
        settings, record_parties(settings, record.envelope, record.message));
    filter::Outcome outcome;
    if (taps.empty()) {
        outcome.verdict = verdict.to_json();
        return outcome;
    }

    // Matching read the hostile message under the deadline; what follows
    // is disk work on wiretap's own files (a lock wait, fsyncs), which
    // untapped mail does not do. Timed, it failed tapped mail alone, and
    // a deadline passed during the commit tempfailed a record whose
    // copies were filed (the retry filed them again), or the watchdog
    // ended the run between the lines and the publication.
    if (deadline_passed())
        return copy_not_kept(); // the loop gives the timeout's reason
    filter::pause_deadline();

    auto log_fd = open_admin_log(settings);
    if (!log_fd) {
        detail(log_fd.error().text());
        return copy_not_kept();
    }
    if (record.message.empty())
        return note_emptied(settings, record, taps, *log_fd, verdict);
    Copies copies;
    DiscardUnlessPublished discard(copies);
    stage_copies(settings, form, taps, record, copies);

    // The copies wait under tmp/ until their lines are on disk. A record
    // tried again files none of them, so the retry files each once.
    auto logged = write_admin_log(*log_fd, settings, log_lines(copies));
    if (!logged) {
        detail(logged.error().text());
        withdraw_lines(settings, copies, logged.error());
        return copy_not_kept();
    }
    if (copies.lost)
        return copy_not_kept();
    bool published = publish_copies(settings, copies);
    discard.published(); // publish_all removed the tmp/ names itself
    if (!published)
        return copy_not_kept();

    // The effect says a copy was made, never of whom or where: the
    // envelope passes through later filters and their logs.
    verdict.add_effect({{"type", "wiretap"}, {"copies", copies.kept}});
    outcome.verdict = verdict.to_json();
    outcome.followers = std::move(copies.followers);
    return outcome;
}

// A record over the size limit passes unread: no tap can copy bytes
// that were never read, and an empty copy would pretend otherwise. The
// admin log says so; the record itself is held by its quarantine verdict.
void note_unread(const Settings& settings, const stream::Record& record) {
    auto taps = matching_taps(
        settings, record_parties(settings, record.envelope, record.message));
    if (taps.empty())
        return;
    auto log_fd = open_admin_log(settings);
    if (!log_fd) {
        detail(log_fd.error().text());
        return;
    }
    std::vector<std::string> lines;
    for (const Tap* tap : taps)
        lines.push_back(line_head(record, *tap) +
                        fmt::format(" result=not_copied error=\"{} bytes, "
                                    "over the message size limit; not read\"",
                                    record.unread));
    if (auto logged = write_admin_log(*log_fd, settings, lines); !logged)
        detail(logged.error().text());
}

// Room a file system must keep for the log or the undelivered Maildir,
// beyond the copies of the message at hand: a full one would fail
// tapped mail alone.
constexpr uint64_t min_free_bytes = 1 << 20;

// What a file system must have free for the message at hand.
struct Room {
    uint64_t bytes = 0;  ///< beyond min_free_bytes
    uint64_t inodes = 1; ///< where the file system counts them
};

// Checks that the file system holding path has room to write in: free
// blocks (root may use the reserved ones) beyond min_free_bytes, then
// need.bytes more, and, where it counts them, need.inodes free inodes.
// Errors name the file the room is for, when given.
Status check_room(const std::string& path, Room need = {},
                  std::string for_file = {}) {
    const std::string& shown = for_file.empty() ? path : for_file;
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0)
        return Error{shown, std::strerror(errno), ExitCode::temp_fail};
    uint64_t blocks = ::geteuid() == 0 ? fs.f_bfree : fs.f_bavail;
    uint64_t free_bytes = blocks * fs.f_frsize;
    bool few_inodes = fs.f_files != 0 && fs.f_favail < need.inodes;
    if (free_bytes >= min_free_bytes && !few_inodes &&
        free_bytes - min_free_bytes >= need.bytes)
        return {};
    if (free_bytes < min_free_bytes || fs.f_favail == 0 ||
        (need.bytes == 0 && need.inodes <= 1))
        return Error{shown,
                     fmt::format("file system full ({} bytes, {} inodes free)",
                                 free_bytes, fs.f_favail),
                     ExitCode::temp_fail};
    if (few_inodes)
        return Error{shown,
                     fmt::format("file system too full for this message: {} "
                                 "inodes free, {} needed",
                                 fs.f_favail, need.inodes),
                     ExitCode::temp_fail};
    return Error{shown,
                 fmt::format("file system too full for this message: {} bytes "
                             "free, {} needed beside 1 MiB kept free",
                             free_bytes, need.bytes),
                 ExitCode::temp_fail};
}

// The folder that holds the log: the log itself may be gone (rotated
// away with nocreate), and the next open makes it again.
std::string log_folder(const Settings& settings) {
    std::filesystem::path folder =
        std::filesystem::path(settings.log_file).parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

// Bytes one record's lines may take in the log: for each tap a line and
// a second one (withdrawn), each its head, the earlier verdicts of an
// emptied record, and room for a result, an error and two paths.
uint64_t log_room(const Settings& settings, const stream::Record& record) {
    constexpr uint64_t rest_of_line = 2 * 4096 + 1024;
    uint64_t earlier = record.message.empty()
                           ? log::quote_value(earlier_actions(record)).size()
                           : 0;
    uint64_t room = 1; // a line end for a line cut short before
    for (const Tap& tap : settings.taps)
        room += 2 * (line_head(record, tap).size() + earlier + rest_of_line);
    return room;
}

// The largest file this process may write (RLIMIT_FSIZE, ulimit -f;
// Postfix's local(8) sets it to mailbox_size_limit), or nullopt.
std::optional<uint64_t> file_size_limit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 ||
        limit.rlim_cur == RLIM_INFINITY)
        return std::nullopt;
    return static_cast<uint64_t>(limit.rlim_cur);
}

// Checks that the file size limit lets the log take the record's lines
// and a copy of its message be written. Past it a write fails with
// EFBIG, which tapped mail alone would meet: a log grown past Postfix's
// mailbox_size_limit deferred the watched person's mail for ever.
Status check_file_size_limit(const Settings& settings,
                             const stream::Record& record) {
    auto limit = file_size_limit();
    if (!limit)
        return {};
    struct stat st {};
    uint64_t log_bytes = ::stat(settings.log_file.c_str(), &st) == 0
                             ? static_cast<uint64_t>(st.st_size)
                             : 0;
    uint64_t room = log_room(settings, record);
    if (log_bytes > *limit || *limit - log_bytes < room)
        return Error{settings.log_file,
                     fmt::format("{} bytes, and a message's lines need up to "
                                 "{} more, over the file size limit of {} "
                                 "bytes (ulimit -f)",
                                 log_bytes, room, *limit),
                     ExitCode::temp_fail};
    if (record.message.size() > *limit)
        return Error{settings.undelivered_dir,
                     fmt::format("a copy of this message ({} bytes) is over "
                                 "the file size limit of {} bytes (ulimit -f)",
                                 record.message.size(), *limit),
                     ExitCode::temp_fail};
    return {};
}

// Checks, for every message alike, that a copy of it for each tap would
// fit in the undelivered Maildir (its disk and its quota), where a copy
// waits when its tap's Maildir refuses it. Asked of tapped mail alone, a
// disk or quota with room for small mail but not for this message would
// fail the watched person's mail only.
Status check_room_for(const Settings& settings, const stream::Record& record) {
    if (settings.taps.empty())
        return {};
    if (auto fits = check_file_size_limit(settings, record); !fits)
        return fits;
    if (auto room = check_room(log_folder(settings), {}, settings.log_file);
        !room)
        return room;
    uint64_t copies = settings.taps.size();
    uint64_t size = record.message.size();
    uint64_t need = size > UINT64_MAX / copies ? UINT64_MAX : size * copies;
    // An inode for each copy staged, and one more for its link into new/
    // where the file system counts links as inodes (tmpfs does).
    Room room_for_copies{need, 2 * copies};
    if (auto room =
            check_room(settings.undelivered_dir + "/tmp", room_for_copies);
        !room)
        return room;
    if (auto linkable = maildir::check_linkable(settings.undelivered_dir);
        !linkable)
        return linkable;
    return maildir::check_quota(settings.undelivered_dir,
                                static_cast<size_t>(std::min<uint64_t>(
                                    need, std::numeric_limits<size_t>::max())));
}

// Says why a message failed where every message fails alike: on stderr,
// or, where stderr is discreet, in the admin log only, so that stderr
// reads as it does when a copy of tapped mail alone fails.
void say_for_every_message(const Settings& settings, const Error& error) {
    if (!log::discreet()) {
        log::error(error.text());
        return;
    }
    if (auto log_fd = open_admin_log(settings))
        (void)write_admin_log(*log_fd, settings,
                              {fmt::format("diagnostic level=error message={}",
                                           log::quote_value(error.text()))});
}

// Checks that a copy could be kept at all before any message is read.
// A tap's own Maildir is not required: a copy it refuses (missing,
// full, a new/ that would refuse the link) waits in the undelivered
// Maildir, checked here, and mail flows.
Status check_setup(const Settings& settings) {
    if (settings.taps.empty())
        return {}; // nothing is ever written
    auto log_fd = open_admin_log(settings);
    if (!log_fd)
        return log_fd.error();
    ::close(*log_fd);
    if (auto made = maildir::create(settings.undelivered_dir); !made)
        return made.error();
    if (auto writable = maildir::check_writable(settings.undelivered_dir);
        !writable)
        return writable;
    if (auto linkable = maildir::check_linkable(settings.undelivered_dir);
        !linkable)
        return linkable;
    if (auto fits = check_file_size_limit(settings, stream::Record{}); !fits)
        return fits;
    if (auto room = check_room(log_folder(settings), {}, settings.log_file);
        !room)
        return room;
    return check_room(settings.undelivered_dir + "/tmp");
}

// A broken set-up fails every message alike, tapped or not, before any
// is read: failing only the mail a tap matches would tell its senders,
// by a delay or a bounce, whom the taps watch.
ExitCode refuse_to_start(const Settings& settings, const Error& error) {
    // The log may be the part that works.
    if (auto log_fd = open_admin_log(settings))
        (void)write_admin_log(
            *log_fd, settings,
            {"setup result=failed error=" + log::quote_value(error.text())});
    log::error(error.text());
    return ExitCode::temp_fail;
}

// Where stderr is discreet, what it would have said goes to the admin
// log, so the administrator still learns why a message failed.
void keep_details_in_log(const Settings& settings) {
    log::set_detail_sink([&settings](std::string_view level,
                                     std::string_view message) {
        auto log_fd = open_admin_log(settings);
        if (!log_fd)
            return;
        (void)write_admin_log(*log_fd, settings,
                              {fmt::format("diagnostic level={} message={}",
                                           level, log::quote_value(message))});
    });
}

} // namespace

void hide_from_stderr_readers(int argc, char** argv) {
    // Decided before the command line is parsed, since a usage error is
    // said while it is; a "--headers" that is a file name after "--"
    // counts too, which only hides details. The parser takes a value
    // after "=" too ("--headers=1" chose the form, with stderr still
    // naming wiretap: a second break test).
    if (::isatty(STDERR_FILENO))
        return;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg(argv[i]);
        if (arg == "--headers" || arg.starts_with("--headers=")) {
            log::set_discreet(generic_failure);
            return;
        }
    }
}

ExitCode run(const Options& options, const Settings& settings) {
    filter::OutputForm form = options.common.form;
    if (auto ready = check_setup(settings); !ready)
        return refuse_to_start(settings, ready.error());
    if (log::discreet() && !settings.taps.empty())
        keep_details_in_log(settings);

    // Said once at start, never per message: a line only tapped mail
    // caused would show the tap to whoever reads procmail's log. Where
    // stderr is not private it is not said at all; the log line of each
    // such copy says where it went.
    bool to_addresses =
        std::any_of(settings.taps.begin(), settings.taps.end(),
                    [](const Tap& tap) { return !tap.deliver_to.empty(); });
    if (form != filter::OutputForm::stream && to_addresses && !log::discreet())
        log::warning("copies for review addresses are kept in the "
                     "undelivered Maildir in --headers and --json forms");
    return filter::run(
        options.common, tool_name,
        [&](stream::Record& record) -> Result<filter::Outcome> {
            if (auto room = check_room_for(settings, record); !room) {
                say_for_every_message(settings, room.error());
                return copy_not_kept();
            }
            // A failure inside tapping is tried again with the generic
            // reason, as any other: "internal error: std::bad_alloc"
            // travelled on in the envelope of tapped mail alone.
            try {
                return tap_record(settings, form, record);
            } catch (const std::exception& e) {
                say_for_every_message(
                    settings, Error{record.id(),
                                    fmt::format("internal error: {}", e.what()),
                                    ExitCode::temp_fail});
                return copy_not_kept();
            }
        },
        [&](const stream::Record& record) { note_unread(settings, record); });
}

} // namespace portcullis::wiretap
