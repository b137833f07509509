// Which taps a record falls under. A tap must copy whatever a server
// could deliver to the watched person, so every address is matched in
// each reading a next hop might give it (a source route dropped, the
// percent hack undone, a sub-address cut off), and a guessed envelope
// in every reading its header fields allow. Over-copying is the safe
// side for a tap; share/doc/wiretap.md says why.
#include "core/strings.hpp"
#include "core/watchdog.hpp"
#include "mail/address.hpp"
#include "mail/envelope.hpp"
#include "mail/unicode_fold.hpp"
#include "wiretap.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace portcullis::wiretap {

namespace {

// RFC 5322 atext, a dot, and UTF-8 beyond ASCII (RFC 6531 local parts).
bool is_local_char(unsigned char c) {
    static constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~.";
    return c >= 0x80 || std::isalnum(c) ||
           specials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_domain_char(unsigned char c) {
    return c >= 0x80 || std::isalnum(c) || c == '-' || c == '.' || c == '_';
}

// "<@a,@b:bob@example.com>" is bob@example.com: RFC 5321 section C
// tells a server to ignore the route. The route ends at the first ":"
// outside a domain literal ("@[IPv6:::1]:bob@x").
std::string_view without_route(std::string_view address) {
    address = trim_space(address);
    if (address.starts_with('<'))
        address.remove_prefix(1);
    if (address.ends_with('>'))
        address.remove_suffix(1);
    address = trim_space(address);
    if (!address.starts_with('@'))
        return address;
    bool literal = false;
    for (size_t i = 0; i < address.size(); ++i) {
        if (address[i] == '[')
            literal = true;
        else if (address[i] == ']')
            literal = false;
        else if (address[i] == ':' && !literal)
            return address.substr(i + 1);
    }
    return address;
}

// The local part before the first separator, when one is left:
// bob+tag@example.com is delivered to bob@example.com.
std::optional<std::string> without_subaddress(std::string_view address,
                                              std::string_view separators) {
    size_t at = address.rfind('@');
    if (at == std::string_view::npos || separators.empty())
        return std::nullopt;
    size_t cut = address.substr(0, at).find_first_of(separators);
    if (cut == 0 || cut == std::string_view::npos)
        return std::nullopt;
    return std::string(address.substr(0, cut)) +
           std::string(address.substr(at));
}

// The percent hack: a server that takes "bob%example.com@relay" sends
// it on to bob@example.com, turning the rightmost "%" into "@" at each
// hop. Each "%" gives the reading of one hop: the local part before it
// at the domain after it.
// XXX: only the leftmost and the eight rightmost "%" of a local part are
// read, so work stays linear; a chain of more hops is missed between.
void add_percent_readings(std::string_view address,
                          std::vector<std::string>& out) {
    constexpr size_t max_hops = 8;
    size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return;
    std::string_view local = address.substr(0, at);
    size_t leftmost = local.find('%');
    size_t end = local.size();
    size_t hops = 0;
    for (size_t p = local.rfind('%'); p != std::string_view::npos && p > 0;
         p = local.rfind('%', p - 1)) {
        if (hops < max_hops || p == leftmost)
            out.push_back(std::string(local.substr(0, p)) + "@" +
                          std::string(local.substr(p + 1, end - p - 1)));
        ++hops;
        end = p;
    }
}

// Returns where the quoted local part that closes at quote opens, or
// npos.
size_t quoted_start(std::string_view text, size_t quote) {
    if (quote == 0)
        return std::string_view::npos;
    return text.rfind('"', quote - 1);
}

// Each "@" with a local part before it and a domain after it is an
// address to some reader, whatever surrounds it: the "<", ")" or ";"
// that makes a strict parser refuse the field is no part of either.
void add_tokens(std::string_view text, std::vector<std::string>& out) {
    for (size_t at = text.find('@'); at != std::string_view::npos;
         at = text.find('@', at + 1)) {
        size_t start = at;
        size_t open = at > 0 && text[at - 1] == '"' ? quoted_start(text, at - 1)
                                                    : std::string_view::npos;
        if (open != std::string_view::npos)
            start = open;
        while (open == std::string_view::npos && start > 0 &&
               is_local_char(static_cast<unsigned char>(text[start - 1])))
            --start;
        size_t end = at + 1;
        if (end < text.size() && text[end] == '[') {
            size_t close = text.find(']', end);
            end = close == std::string_view::npos ? end : close + 1;
        }
        while (end < text.size() &&
               is_domain_char(static_cast<unsigned char>(text[end])))
            ++end;
        if (start < at && end > at + 1)
            out.push_back(std::string(text.substr(start, end - start)));
    }
}

// The text with its comments removed: "bob(x)@example.com" is
// bob@example.com to a reader that knows comments. An unclosed comment
// runs to the end, as it does for such a reader.
std::string without_comments(std::string_view text) {
    std::string out;
    int depth = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && depth > 0)
            ++i;
        else if (c == '(')
            ++depth;
        else if (c == ')' && depth > 0)
            --depth;
        else if (depth == 0)
            out += c;
    }
    return out;
}

// The fields a guessed envelope is read from, as a tap reads them.
constexpr const char* recipient_fields[] = {
    "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To",
    "Cc",           "Bcc",           "Resent-To",   "Resent-Cc"};
constexpr const char* sender_fields[] = {"Return-Path", "From", "Sender",
                                         "Resent-From", "Resent-Sender"};

// Adds every address of the fields in any reading: the strict parse, and
// each addr-spec-looking token with and without comments.
template <size_t N>
void add_guessed(std::string_view message, size_t max_header_bytes,
                 const char* const (&fields)[N],
                 std::vector<std::string>& out) {
    for (const char* field : fields) {
        for (const std::string& value :
             mail::header_values(message, field, max_header_bytes)) {
            if (auto list = mail::parse_address_list(value)) {
                for (const mail::Mailbox& box : *list)
                    out.push_back(box.address());
            }
            out.push_back(value);
        }
    }
}

// Whether name is one of the fields, in any case.
template <size_t N>
bool one_of(std::string_view name, const char* const (&fields)[N]) {
    return std::any_of(
        std::begin(fields), std::end(fields),
        [&](const char* field) { return equals_ci(name, field); });
}

// Past header_block_bytes the fields are not parsed: a block of a million
// addresses would cost memory tens of times its size. But a watched
// address written there must not go untapped (a break test put bob's Cc
// after 1.2 MB of To): the rest of the block is read a field at a time,
// unfolded, in pieces of at most 64 KiB cut after a comma, and each
// address of a sender or recipient field that a tap watches, in any
// reading, is kept. Only those are held. A line ends at LF, CRLF or a
// bare CR, as everywhere.
void add_watched_past_limit(const Settings& settings, std::string_view message,
                            bool senders_guessed, bool recipients_guessed,
                            std::vector<std::string>& senders,
                            std::vector<std::string>& recipients) {
    constexpr size_t piece_bytes = 64 * 1024;
    if (message.size() <= settings.max_header_bytes)
        return;
    auto watched = [&](const std::string& token, bool inbound) {
        for (const std::string& reading :
             delivery_readings(token, settings.subaddress_separators))
            for (const Tap& tap : settings.taps)
                if ((inbound ? tap.inbound : tap.outbound) &&
                    tap.watches(reading))
                    return true;
        return false;
    };
    bool sender_field = false, recipient_field = false;
    std::string field; // the value read so far, unfolded
    auto scan = [&](std::string_view text) {
        std::vector<std::string> found = address_tokens(text);
        if (auto list = mail::parse_address_list(std::string(text)))
            for (const mail::Mailbox& box : *list)
                found.push_back(box.address());
        for (std::string& token : found) {
            if (recipient_field && watched(token, true))
                recipients.push_back(token);
            else if (sender_field && watched(token, false))
                senders.push_back(std::move(token));
        }
    };
    auto flush = [&] {
        if (sender_field || recipient_field)
            scan(field);
        field.clear();
    };
    size_t pos = 0;
    while (pos < message.size() && !deadline_passed()) {
        size_t eol = message.find_first_of("\r\n", pos);
        std::string_view line = message.substr(
            pos,
            eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos          ? message.size()
              : message.compare(eol, 2, "\r\n") == 0 ? eol + 2
                                                     : eol + 1;
        if (line.empty())
            break; // the end of the header block
        if (line.front() != ' ' && line.front() != '\t') {
            flush();
            std::string_view name = line.substr(0, line.find(':'));
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
                name.remove_suffix(1);
            sender_field = senders_guessed && one_of(name, sender_fields);
            recipient_field =
                recipients_guessed && one_of(name, recipient_fields);
            size_t colon = line.find(':');
            line = colon == std::string_view::npos ? std::string_view()
                                                   : line.substr(colon + 1);
        }
        if (!sender_field && !recipient_field)
            continue;
        // A long line goes in a slice at a time, so no piece is longer
        // than twice piece_bytes.
        while (!line.empty()) {
            std::string_view slice = line.substr(0, piece_bytes);
            line.remove_prefix(slice.size());
            field += slice;
            if (field.size() <= piece_bytes)
                continue;
            size_t comma = field.rfind(',');
            size_t cut = comma == std::string::npos ? field.size() : comma + 1;
            scan(std::string_view(field).substr(0, cut));
            field.erase(0, cut);
        }
    }
    flush();
}

// Expands each address into its readings, once per distinct address.
std::vector<std::string> readings_of(const std::vector<std::string>& written,
                                     std::string_view separators) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const std::string& address : written) {
        if (deadline_passed())
            break; // the filter fails the record: no copy is missed
        for (std::string& reading : delivery_readings(address, separators)) {
            if (seen.insert(reading).second)
                out.push_back(std::move(reading));
        }
    }
    return out;
}

} // namespace

std::vector<std::string> address_tokens(std::string_view text) {
    std::vector<std::string> out;
    add_tokens(text, out);
    if (text.find('(') != std::string_view::npos)
        add_tokens(without_comments(text), out);
    return out;
}

std::vector<std::string> delivery_readings(std::string_view address,
                                           std::string_view separators) {
    std::vector<std::string> written{std::string(address)};
    for (std::string& token : address_tokens(address))
        written.push_back(std::move(token));
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    auto add = [&](std::string reading) {
        if (!reading.empty() && seen.insert(reading).second)
            out.push_back(std::move(reading));
    };
    auto add_bases = [&](size_t from) {
        for (size_t i = from, end = out.size(); i < end; ++i) {
            if (auto base = without_subaddress(out[i], separators))
                add(mail::normal_address(*base));
        }
    };
    for (const std::string& each : written)
        add(mail::normal_address(without_route(each)));
    add_bases(0);
    // A relay may cut a sub-address before it undoes the percent hack
    // ("bob%example.com+x@relay") or after ("bob+x%example.com@relay"),
    // so both orders are read; percent readings are not read again,
    // which keeps the work linear.
    size_t before_percent = out.size();
    for (size_t i = 0; i < before_percent; ++i) {
        std::vector<std::string> hops;
        add_percent_readings(out[i], hops);
        for (const std::string& hop : hops)
            add(mail::normal_address(hop));
    }
    add_bases(before_percent);
    // Postfix with SMTPUTF8 case-folds a UTF-8 address in its lookups,
    // and a sender may write a letter decomposed, so JOSÉ@ and
    // jose\u0301@ reach josé@: each reading is also read composed and
    // folded. Watch entries are kept folded (load_settings).
    for (size_t i = 0, end = out.size(); i < end; ++i) {
        if (auto folded = mime::unicode_folded(out[i]))
            add(mail::normal_address(*folded));
    }
    return out;
}

Parties record_parties(const Settings& settings,
                       const nlohmann::ordered_json& envelope,
                       std::string_view message) {
    mail::Envelope read =
        mail::read_envelope(envelope, message, settings.max_header_bytes);
    std::vector<std::string> senders{read.mail_from};
    std::vector<std::string> recipients = read.rcpt;
    // A guessed envelope is what the headers say, and headers are the
    // sender's to write: a planted Delivered-To or a To field that two
    // readers take two ways must not hide the watched person.
    if (read.mail_from_guessed)
        add_guessed(message, settings.max_header_bytes, sender_fields, senders);
    if (read.rcpt_guessed)
        add_guessed(message, settings.max_header_bytes, recipient_fields,
                    recipients);
    add_watched_past_limit(settings, message, read.mail_from_guessed,
                           read.rcpt_guessed, senders, recipients);
    const std::string& separators = settings.subaddress_separators;
    return {readings_of(senders, separators),
            readings_of(recipients, separators)};
}

std::vector<const Tap*> matching_taps(const Settings& settings,
                                      const Parties& parties) {
    std::vector<const Tap*> out;
    for (const Tap& tap : settings.taps) {
        auto watched = [&](const std::string& address) {
            return tap.watches(address);
        };
        bool hit =
            (tap.outbound && std::any_of(parties.senders.begin(),
                                         parties.senders.end(), watched)) ||
            (tap.inbound && std::any_of(parties.recipients.begin(),
                                        parties.recipients.end(), watched));
        if (hit)
            out.push_back(&tap);
    }
    return out;
}

} // namespace portcullis::wiretap
