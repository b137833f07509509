// Envelope reading and guessing. Only the top-level header block is read,
// without a MIME parse, so tools that need no body pay nothing for one.
#include "mail/envelope.hpp"

#include "core/utc_time.hpp"
#include "core/watchdog.hpp"
#include "mail/address.hpp"
#include "mail/gmime_support.hpp"
#include "mail/header_edit.hpp"
#include "mail/line_ends.hpp"
#include "mail/mime.hpp"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <unordered_set>

namespace portcullis::mail {

namespace {

// Returns the number that count ASCII digits at pos write, or nullopt.
std::optional<unsigned> digits(std::string_view text, size_t pos,
                               size_t count) {
    if (pos > text.size() || count > text.size() - pos)
        return std::nullopt;
    unsigned value = 0;
    for (char c : text.substr(pos, count)) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

// time-offset: "Z" or "z" (RFC 3339 section 5.6 lets either case
// stand), or "+HH:MM" / "-HH:MM" with a real hour and minute. Returns
// seconds east of UTC. "-00:00", an unknown local offset, is UTC.
std::optional<int64_t> offset_seconds(std::string_view text) {
    if (text == "Z" || text == "z")
        return 0;
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-') ||
        text[3] != ':')
        return std::nullopt;
    auto hours = digits(text, 1, 2);
    auto minutes = digits(text, 4, 2);
    if (!hours || !minutes || *hours > 23 || *minutes > 59)
        return std::nullopt;
    int64_t seconds = *hours * 3600 + *minutes * 60;
    return text[0] == '-' ? -seconds : seconds;
}

// Returns where time-offset starts after time-secfrac, which is "."
// and at least one digit, or pos itself when there is none.
std::optional<size_t> skip_fraction(std::string_view text, size_t pos) {
    if (pos >= text.size() || text[pos] != '.')
        return pos;
    size_t end = pos + 1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9')
        ++end;
    if (end == pos + 1)
        return std::nullopt;
    return end;
}

} // namespace

std::optional<int64_t> parse_rfc3339(const std::string& text) {
    // RFC 3339 section 5.6 date-time and nothing else: ISO 8601's week
    // and ordinal dates, basic format and missing offset are other
    // grammars, and a reader that took them would date what no front
    // end wrote. "T" may be "t", and the section's note lets a space
    // stand for it, as some producers write.
    std::string_view t = text;
    auto year = digits(t, 0, 4), month = digits(t, 5, 2), day = digits(t, 8, 2),
         hour = digits(t, 11, 2), minute = digits(t, 14, 2),
         second = digits(t, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' ||
        t[7] != '-' || t[13] != ':' || t[16] != ':' ||
        (t[10] != 'T' && t[10] != 't' && t[10] != ' '))
        return std::nullopt;
    auto offset_at = skip_fraction(t, 19);
    auto offset =
        offset_at ? offset_seconds(t.substr(*offset_at)) : std::nullopt;
    if (!offset)
        return std::nullopt;

    // year_month_day::ok() knows month lengths and leap years.
    namespace chrono = std::chrono;
    chrono::year_month_day date{chrono::year(static_cast<int>(*year)),
                                chrono::month(*month), chrono::day(*day)};
    if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    // Second 60 is a leap second (section 5.7), which Unix time cannot
    // hold. It is read as 59, so the time stays in its minute, hour and
    // day: 23:59:60Z on 31 December is still counted in that year.
    // Whether the leap second was really inserted then is not checked.
    int64_t days = chrono::sys_days(date).time_since_epoch().count();
    return days * 86400 + *hour * 3600 + *minute * 60 + std::min(*second, 59u) -
           *offset;
}

namespace {

// Returns where the value starts when the field has this name, else 0.
// RFC 5322 section 4.5.3 allows blanks between the name and the colon.
size_t value_start(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() ||
        strncasecmp(line.data(), name.data(), name.size()) != 0)
        return 0;
    size_t colon = line.find_first_not_of(" \t", name.size());
    if (colon == std::string_view::npos || line[colon] != ':')
        return 0;
    return colon + 1;
}

std::string_view trim_eol(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.remove_suffix(1);
    return line;
}

// Unfolding (RFC 5322 section 2.2.3) removes the CRLF before the
// continuation's whitespace, keeping the whitespace.
std::string unfold(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (char c : field) {
        if (c != '\r' && c != '\n')
            out += c;
    }
    size_t b = out.find_first_not_of(" \t");
    return b == std::string::npos ? "" : out.substr(b);
}

std::vector<std::string> addresses_in(std::string_view message,
                                      std::string_view name,
                                      size_t max_header_bytes) {
    std::vector<std::string> out;
    for (const std::string& value :
         header_values(message, name, max_header_bytes)) {
        auto list = parse_address_list(value);
        if (!list)
            continue;
        for (const Mailbox& box : *list)
            out.push_back(box.address());
    }
    return out;
}

// To: bob@example.com and Cc: "Bob"@Example.COM. are one recipient. The
// keys seen so far are held in a set: a header block may list tens of
// thousands of addresses, and comparing each with every earlier one
// took longer than the parse timeout.
class UniqueAddresses {
public:
    void add(const std::string& address) {
        if (seen_.insert(address_key(address)).second)
            list_.push_back(address);
    }

    std::vector<std::string> take() { return std::move(list_); }

private:
    std::vector<std::string> list_;
    std::unordered_set<std::string> seen_;
};

std::string guess_sender(std::string_view message, size_t max_header_bytes) {
    auto return_path = header_values(message, "Return-Path", max_header_bytes);
    if (!return_path.empty()) {
        if (auto path = parse_path(return_path.front()))
            return *path;
    }
    auto from = addresses_in(message, "From", max_header_bytes);
    return from.empty() ? "" : from.front();
}

std::vector<std::string> guess_recipients(std::string_view message,
                                          size_t max_header_bytes) {
    // The topmost Delivered-To is the last hop's, the mailbox this copy
    // was delivered to; older ones name addresses it was forwarded from.
    auto delivered = header_values(message, "Delivered-To", max_header_bytes);
    if (!delivered.empty()) {
        if (auto box = parse_mailbox(delivered.front()))
            return {box->address()};
    }
    // The count is bounded only by the message size: past the parse
    // timeout the guess stops, and the filter fails this message alone.
    UniqueAddresses out;
    for (const char* field : {"To", "Cc"}) {
        for (const auto& address :
             addresses_in(message, field, max_header_bytes)) {
            if (deadline_passed())
                return out.take();
            out.add(address);
        }
    }
    return out.take();
}

} // namespace

std::vector<std::string> header_values(std::string_view original,
                                       std::string_view name,
                                       size_t max_header_bytes) {
    std::vector<std::string> values;
    // Only the header block is read, within the bound, and only that much
    // is copied to read bare CRs as line ends (line_ends.hpp).
    std::string_view head = original;
    if (mime::starts_with_from_line(head)) {
        size_t eol = head.find_first_of("\r\n");
        if (eol != std::string_view::npos && head[eol] == '\r' &&
            eol + 1 < head.size() && head[eol + 1] == '\n')
            ++eol;
        head.remove_prefix(std::min(head.size(), eol + 1));
    }
    head = head.substr(0, header_block_end(head));
    if (head.size() > max_header_bytes) {
        // The last whole line within the bound ends what is read.
        size_t eol = max_header_bytes == 0
                         ? std::string_view::npos
                         : head.find_last_of("\r\n", max_header_bytes - 1);
        head = head.substr(0, eol == std::string_view::npos ? 0 : eol + 1);
    }
    std::string readable;
    std::string_view message = readable_line_ends(head, readable);
    size_t pos = 0;
    while (pos < message.size()) {
        size_t end = pos;
        do {
            size_t eol = message.find('\n', end);
            end = eol == std::string_view::npos ? message.size() : eol + 1;
        } while (end < message.size() &&
                 (message[end] == ' ' || message[end] == '\t'));
        std::string_view field = trim_eol(message.substr(pos, end - pos));
        if (size_t start = value_start(field, name))
            values.push_back(unfold(field.substr(start)));
        pos = end;
    }
    return values;
}

Envelope read_envelope(const nlohmann::ordered_json& envelope,
                       std::string_view message, size_t max_header_bytes) {
    Envelope out;
    auto from = envelope.find("mail_from");
    if (from != envelope.end() && from->is_string()) {
        out.mail_from = from->get<std::string>();
    } else {
        out.mail_from = guess_sender(message, max_header_bytes);
        out.mail_from_guessed = true;
    }
    auto rcpt = envelope.find("rcpt");
    if (rcpt != envelope.end() && rcpt->is_array() && !rcpt->empty()) {
        for (const auto& entry : *rcpt) {
            if (entry.is_string())
                out.rcpt.push_back(entry.get<std::string>());
        }
    } else {
        out.rcpt = guess_recipients(message, max_header_bytes);
        out.rcpt_guessed = true;
    }
    return out;
}

namespace {

// A date field's text as GMime's reader should get it. RFC 5322 allows
// second 60, a leap second, which GMime refuses: it is read as 59, as
// parse_rfc3339 reads it. A four-digit year before 1900 ("0000") GMime
// takes for two digits (2000): such a date is no arrival at all.
std::optional<std::string> readable_date(std::string text) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = text.find_first_not_of(" \t,", pos);
        if (start == std::string::npos)
            break;
        size_t end = std::min(text.find_first_of(" \t,", start), text.size());
        std::string_view token(text.data() + start, end - start);
        bool four_digits = token.size() == 4 &&
                           std::all_of(token.begin(), token.end(), [](char c) {
                               return c >= '0' && c <= '9';
                           });
        if (four_digits && token < "1900")
            return std::nullopt;
        // A time is hh:mm or hh:mm:ss and nothing more: GMime read
        // "01:00:00.5" as midnight and still applied the zone.
        auto digit = [&](size_t i) {
            return token[i] >= '0' && token[i] <= '9';
        };
        bool time_like =
            token.size() >= 3 && digit(0) && digit(1) && token[2] == ':';
        bool hh_mm = token.size() == 5 && digit(3) && digit(4);
        bool hh_mm_ss = token.size() == 8 && digit(3) && digit(4) &&
                        token[5] == ':' && digit(6) && digit(7);
        if (time_like && !hh_mm && !hh_mm_ss)
            return std::nullopt;
        if (hh_mm_ss && token.substr(6) == "60")
            text[start + 7] = '9', text[start + 6] = '5';
        pos = end;
    }
    return text;
}

} // namespace

std::optional<std::string> header_arrival_time(std::string_view message) {
    // Dates before 1990 or more than a day ahead are a clock's mistake or
    // a sender's invention, not an arrival.
    constexpr int64_t earliest = 631152000; // 1990-01-01
    constexpr int64_t day = 86400;
    auto date_of = [](const std::string& text) -> std::optional<int64_t> {
        auto readable = readable_date(text);
        if (!readable)
            return std::nullopt;
        mime::ensure_gmime();
        GDateTime* when = g_mime_utils_header_decode_date(readable->c_str());
        if (!when)
            return std::nullopt;
        int64_t seconds = g_date_time_to_unix(when);
        g_date_time_unref(when);
        if (seconds < earliest || seconds > std::time(nullptr) + day)
            return std::nullopt;
        return seconds;
    };
    std::optional<int64_t> seconds;
    std::vector<std::string> received = header_values(message, "Received");
    if (!received.empty()) {
        // The date follows the last ';' outside comments: "(comment; x)"
        // after the date holds one too.
        std::string bare;
        int depth = 0;
        for (char c : received.front()) {
            depth += c == '(';
            if (depth == 0)
                bare += c;
            depth -= c == ')' && depth > 0;
        }
        size_t semicolon = bare.rfind(';');
        if (semicolon != std::string::npos)
            seconds = date_of(bare.substr(semicolon + 1));
    }
    if (!seconds) {
        std::vector<std::string> dates = header_values(message, "Date");
        if (!dates.empty())
            seconds = date_of(dates.front());
    }
    if (!seconds)
        return std::nullopt;
    return utc_time(*seconds, rfc3339_utc);
}

} // namespace portcullis::mail
