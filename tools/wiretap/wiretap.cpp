// The wiretap loop. Unlike other filters it may write more records than
// it reads: after the original come the copies bound for review
// addresses and the notices about copies that could not be filed, each
// with an envelope of its own, so nothing about them touches the original.
#include "wiretap.hpp"

#include "core/log.hpp"
#include "core/maildir.hpp"
#include "core/progress.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <random>

namespace portcullis::wiretap {

namespace {

constexpr const char* tool_name = "wiretap";

// Checked, buffered writes to a descriptor; a closed pipe ends quietly.
class Writer {
public:
    explicit Writer(int fd) : fd_(fd) {}
    ~Writer() { flush(); }

    void write(std::string_view data) {
        buffer_.append(data);
        if (buffer_.size() > (1 << 16))
            flush();
    }

    void flush() {
        std::string_view data = buffer_;
        while (!data.empty() && !broken_) {
            ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                broken_ = true;
                failed_ = errno != EPIPE;
                if (failed_)
                    log::error(fmt::format("stdout: {}", std::strerror(errno)));
                break;
            }
            data.remove_prefix(static_cast<size_t>(n));
        }
        buffer_.clear();
    }

    bool broken() const { return broken_; }
    bool failed() const { return failed_; }

private:
    int fd_;
    std::string buffer_;
    bool broken_ = false;
    bool failed_ = false;
};

std::string utc_now(const char* format) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[64];
    std::strftime(text, sizeof text, format, &tm);
    return text;
}

// The admin log is opened for each line with mode 0600, so a log that
// rotation removed comes back with the same narrow permissions.
void admin_log(const Settings& settings, const std::string& line) {
    int fd = ::open(settings.log_file.c_str(),
                    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log::error(
            fmt::format("{}: {}", settings.log_file, std::strerror(errno)));
        return;
    }
    std::string text = utc_now("%Y-%m-%dT%H:%M:%SZ ") + line + "\n";
    if (::write(fd, text.data(), text.size()) !=
        static_cast<ssize_t>(text.size()))
        log::error(
            fmt::format("{}: {}", settings.log_file, std::strerror(errno)));
    ::close(fd);
}

std::string random_hex(size_t bytes) {
    static std::random_device device;
    std::string out;
    for (size_t i = 0; i < bytes; ++i)
        out += fmt::format("{:02x}", device() & 0xff);
    return out;
}

stream::Record copy_record(const stream::Record& original,
                           const std::string& id, const std::string& mail_from,
                           const std::string& rcpt, std::string message) {
    stream::Record copy;
    copy.envelope = stream::make_envelope(id, tool_name);
    copy.envelope["mail_from"] = mail_from;
    copy.envelope["rcpt"] = nlohmann::ordered_json::array({rcpt});
    copy.message = std::move(message);
    (void)original;
    return copy;
}

// A notice to the administrator's bounce address with the copy inside,
// so a review mailbox that is full or gone never costs a copy.
std::string failure_notice(const stream::Record& original, const Tap& tap,
                           const Error& error, const Settings& settings,
                           const std::string& kept_at) {
    std::string boundary;
    do {
        boundary = "=_wiretap_" + random_hex(12);
    } while (original.message.find(boundary) != std::string::npos);
    std::string out;
    out += "From: Portcullis wiretap <" + settings.bounce_address + ">\r\n";
    out += "To: <" + settings.bounce_address + ">\r\n";
    out += "Subject: wiretap copy not filed for tap " + tap.name + "\r\n";
    out += "Date: " + utc_now("%a, %d %b %Y %H:%M:%S +0000") + "\r\n";
    out += "Message-ID: <wiretap." + random_hex(16) + "@portcullis>\r\n";
    out += "Auto-Submitted: auto-generated\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    out += fmt::format("The copy of message {} for tap {} could not be filed "
                       "in {}:\r\n{}\r\n\r\n",
                       original.id(), tap.name, tap.maildir, error.text());
    out += kept_at.empty()
               ? "The copy is attached.\r\n"
               : "The copy is attached and was kept in " + kept_at + ".\r\n";
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: message/rfc822\r\n";
    out += "Content-Disposition: attachment; filename=\"copy.eml\"\r\n\r\n";
    out += original.message;
    out += "\r\n--" + boundary + "--\r\n";
    return out;
}

// Files a copy that the review Maildir refused where only the
// administrator looks, so it survives even without a bounce address.
std::string keep_undelivered(const Settings& settings,
                             const stream::Record& original) {
    if (auto made = maildir::create(settings.undelivered_dir); !made) {
        log::error(made.error().text());
        return "";
    }
    auto kept = maildir::deliver(settings.undelivered_dir, original.message);
    if (!kept) {
        log::error(kept.error().text());
        return "";
    }
    return *kept;
}

void copy_to_maildir(const Settings& settings, const Tap& tap,
                     const stream::Record& original, int number,
                     std::vector<stream::Record>& extra) {
    auto filed = maildir::deliver(tap.maildir, original.message);
    if (filed) {
        admin_log(settings, fmt::format("id={} tap={} to=maildir:{} "
                                        "result=filed file={}",
                                        log::quote_value(original.id()),
                                        tap.name, tap.maildir, *filed));
        return;
    }
    std::string kept = keep_undelivered(settings, original);
    admin_log(settings,
              fmt::format("id={} tap={} to=maildir:{} result=failed "
                          "error={} kept={} notice_to={}",
                          log::quote_value(original.id()), tap.name,
                          tap.maildir, log::quote_value(filed.error().text()),
                          kept.empty() ? "none" : kept,
                          settings.bounce_address.empty()
                              ? "none"
                              : settings.bounce_address));
    if (settings.bounce_address.empty())
        return;
    // A notice about a failed delivery has the null return path, as
    // RFC 5321 section 4.5.5 asks, so it can never loop.
    extra.push_back(copy_record(
        original, fmt::format("{}/wiretap-notice-{}", original.id(), number),
        "", settings.bounce_address,
        failure_notice(original, tap, filed.error(), settings, kept)));
}

void copy_to_address(const Settings& settings, const Tap& tap,
                     const stream::Record& original, int number,
                     std::vector<stream::Record>& extra) {
    std::string id = fmt::format("{}/wiretap-{}", original.id(), number);
    extra.push_back(copy_record(original, id, settings.bounce_address,
                                tap.deliver_to, original.message));
    admin_log(settings, fmt::format("id={} tap={} to={} result=queued "
                                    "copy_id={}",
                                    log::quote_value(original.id()), tap.name,
                                    tap.deliver_to, log::quote_value(id)));
}

std::vector<stream::Record> tap_record(const Settings& settings,
                                       stream::Record& record) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    mail::Envelope envelope =
        mail::read_envelope(record.envelope, record.message);
    std::vector<stream::Record> extra;
    int number = 0;
    for (const Tap* tap :
         matching_taps(settings, envelope.mail_from, envelope.rcpt)) {
        ++number;
        if (!tap->maildir.empty())
            copy_to_maildir(settings, *tap, record, number, extra);
        else
            copy_to_address(settings, *tap, record, number, extra);
    }
    // The effect says a copy was made, never of whom or where: the
    // envelope passes through later filters and their logs.
    if (number > 0)
        verdict.add_effect({{"type", "wiretap"}, {"copies", number}});
    stream::append_verdict(record, verdict.to_json());
    return extra;
}

void write_record(Writer& out, filter::OutputForm form,
                  stream::Record& record) {
    if (form == filter::OutputForm::headers) {
        out.write(record.message); // nothing is ever added to the original
        return;
    }
    if (form == filter::OutputForm::stream) {
        out.write(stream::serialize(record));
        return;
    }
    record.envelope.erase("size");
    record.envelope["bytes"] = record.message.size();
    out.write(record.envelope.dump(-1, ' ', false,
                                   nlohmann::json::error_handler_t::replace) +
              "\n");
}

} // namespace

ExitCode run(const Options& options, const Settings& settings) {
    log::set_json(options.common.log_json);
    source::Inputs inputs(options.common.inputs, options.common.limits,
                          options.common.mbox_variant);
    Writer out(STDOUT_FILENO);
    Progress progress(options.common.progress);
    ExitCode status = ExitCode::ok;
    for (;;) {
        auto next = inputs.next();
        if (!next) {
            log::error(next.error().text());
            if (status == ExitCode::ok)
                status = next.error().exit_code;
            continue;
        }
        if (!*next)
            break;
        stream::Record& record = **next;
        auto extra = tap_record(settings, record);
        write_record(out, options.common.form, record);
        // A procmail filter has one message out per message in, so copies
        // for review addresses cannot travel in --headers form.
        if (options.common.form == filter::OutputForm::headers &&
            !extra.empty())
            log::warning("copies for review addresses need the stream form");
        else
            for (stream::Record& copy : extra)
                write_record(out, options.common.form, copy);
        progress.tick();
        if (out.broken())
            break;
    }
    progress.finish();
    out.flush();
    return out.failed() ? ExitCode::io_error : status;
}

} // namespace portcullis::wiretap
