// Taking a message apart for the checks. Header values are decoded
// before rules see them, as SpamAssassin does; spam-score's own X-Spam
// headers from an earlier pass are never read.
#include "spam_score_analysis.hpp"
#include "core/ip_network.hpp"
#include "core/strings.hpp"

#include "mail/address.hpp"
#include "mail/header_edit.hpp"

#include <gmime/gmime.h>
#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <optional>
#include <unordered_set>

namespace portcullis::spam_score {

namespace {

bool is_own_header(std::string_view name) {
    return name.size() >= 6 && strncasecmp(name.data(), "x-spam", 6) == 0;
}

// SpamAssassin's :addr and :name: every address, or every display name
// (the comment of a bare address standing in), of one header field,
// each on a line of its own. Addresses are lower case. A list no parser
// reads still gives its one address or name.
std::vector<std::string> mailbox_parts(const std::string& raw,
                                       const std::string& decoded,
                                       std::string_view modifier) {
    std::vector<std::string> out;
    auto list = mail::parse_address_list(raw);
    if (!list) {
        out.push_back(modifier == "addr" ? address_of(decoded)
                                         : display_name_of(decoded));
        return out;
    }
    for (const mail::Mailbox& mailbox : *list) {
        std::string part = modifier == "addr" ? ascii_lower(mailbox.address())
                                              : (mailbox.display_name.empty()
                                                     ? mailbox.comment
                                                     : mailbox.display_name);
        if (!part.empty())
            out.push_back(std::move(part));
    }
    return out;
}

// Each fold of a raw value (a line end and the blanks after it) as one
// space, as SpamAssassin unfolds: "Subject: a\n\tb" reads "a b".
std::string collapse_folds(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        size_t blanks = i + 1;
        while (raw[i] == '\n' && blanks < raw.size() &&
               (raw[blanks] == ' ' || raw[blanks] == '\t'))
            ++blanks;
        if (raw[i] != '\n' || blanks == i + 1) {
            out += raw[i];
            continue;
        }
        out += ' ';
        i = blanks - 1;
    }
    return out;
}

// A header value as SpamAssassin's header rules read it: each fold one
// space, the ends trimmed, encoded words decoded. decoded_headers, which
// Bayes reads, keeps the blanks of a fold whole; a value written on one
// line is the same in both.
std::string rule_value(const Analysis& a, size_t i) {
    const mime::Header& h = a.tree.headers[i];
    if (h.raw.find('\n') == std::string::npos)
        return a.decoded_headers[i];
    return text::decode_header(trim_space(collapse_folds(h.raw)));
}

// The values of every field called name, one a line. ":raw" reads each as
// written, the blanks after the colon and the folds kept, as
// SpamAssassin's raw_header gives it; SpamAssassin's ToCc and MESSAGEID
// read it with each fold as one space (collapse).
std::string join_header(const Analysis& a, std::string_view name,
                        std::string_view modifier, bool& present,
                        bool collapse = false) {
    const mime::Tree& tree = a.tree;
    std::vector<std::string> values;
    for (size_t i = 0; i < tree.headers.size(); ++i) {
        const mime::Header& h = tree.headers[i];
        if (h.name.size() != name.size() ||
            strncasecmp(h.name.data(), name.data(), name.size()) != 0)
            continue;
        present = true;
        if (modifier == "raw") {
            values.push_back(collapse ? collapse_folds(h.raw) : h.raw);
        } else if (modifier == "addr" || modifier == "name") {
            for (std::string& part :
                 mailbox_parts(h.value, a.decoded_headers[i], modifier))
                values.push_back(std::move(part));
        } else {
            values.push_back(rule_value(a, i));
        }
    }
    std::string out;
    for (const std::string& value : values) {
        if (!out.empty())
            out += '\n';
        out += value;
    }
    return out;
}

std::string all_headers(const Analysis& a, bool raw) {
    std::string out;
    for (size_t i = 0; i < a.tree.headers.size(); ++i) {
        const mime::Header& h = a.tree.headers[i];
        if (is_own_header(h.name))
            continue;
        out += h.name;
        out += raw ? ":" : ": ";
        out += raw ? h.raw : rule_value(a, i);
        out += '\n';
    }
    return out;
}

// SpamAssassin's MESSAGEID: the ids a list may have moved the real one
// to, then Message-Id itself.
std::string message_ids(const Analysis& a, std::string_view modifier,
                        bool& present) {
    std::string out;
    for (const char* name : {"x-message-id", "resent-message-id",
                             "x-original-message-id", "message-id"}) {
        bool found = false;
        std::string value = join_header(a, name, modifier, found, true);
        if (!found || value.empty())
            continue;
        present = true;
        if (!out.empty())
            out += '\n';
        out += value;
    }
    return out;
}

// Fills one selector; absent headers stay absent so [if-unset] and
// exists: can tell them from empty ones.
void add_selector(MessageView& view, const Analysis& tree,
                  const std::string& selector) {
    bool present = false;
    std::string value;
    size_t colon = selector.find(':');
    std::string name = selector.substr(0, colon);
    std::string modifier =
        colon == std::string::npos ? "" : selector.substr(colon + 1);
    if (name == "ALL") {
        present = true;
        value = all_headers(tree, modifier == "raw");
    } else if (name == "ToCc") {
        value = join_header(tree, "to", modifier, present, true);
        bool cc = false;
        std::string copies = join_header(tree, "cc", modifier, cc, true);
        // One field a line, To first, as SpamAssassin 4 gives them (3.4
        // joined the two with ", ").
        if (cc)
            value += (value.empty() ? "" : "\n") + copies;
        present = present || cc;
    } else if (name == "MESSAGEID") {
        value = message_ids(tree, modifier, present);
    } else if (name == "EnvelopeFrom") {
        value = join_header(tree, "return-path", "addr", present);
    } else {
        if (is_own_header(name))
            return;
        value = join_header(tree, name, modifier, present);
    }
    if (present)
        view.headers[selector] = std::move(value);
}

bool has_lookalike_link(const std::vector<uri::Uri>& uris) {
    return std::any_of(uris.begin(), uris.end(), [](const uri::Uri& u) {
        return uri::shows_other_site(u);
    });
}

// A display name that holds an address of another domain than the real
// sender's is what a reader takes for the sender: the field is read as
// written, its encoded-words decoded in the name, and decoded whole, as
// a reader shows a field that is one encoded-word.
bool display_name_spoofs(const mime::Tree& tree) {
    std::string raw = tree.header("From");
    for (const std::string& field : {raw, text::decode_header(raw)}) {
        auto mailbox = mail::parse_mailbox(field);
        if (mailbox &&
            mail::display_name_spoof(mailbox->display_name, mailbox->address()))
            return true;
    }
    // A field that breaks RFC 5322 is still shown: the text before the
    // last <address> as the name (an unquoted "a@b.example <x@y>", or an
    // encoded-word holding a literal @), or the comments of a bare
    // address ("x@y (a@b.example)"), as mail readers show them.
    std::string_view field = raw;
    size_t open = field.rfind('<');
    size_t close = open == std::string_view::npos ? std::string_view::npos
                                                  : field.find('>', open);
    std::string name, address;
    if (close != std::string_view::npos) {
        name = field.substr(0, open);
        address = field.substr(open + 1, close - open - 1);
    } else {
        int depth = 0;
        for (char c : field) {
            if (c == '(' && depth++ == 0)
                continue;
            if (c == ')' && depth > 0 && --depth == 0) {
                name += ' ';
                continue;
            }
            (depth > 0 ? name : address) += c;
        }
    }
    address = std::string(trim_space(address));
    return address.find('@') != std::string::npos &&
           mail::display_name_spoof(text::decode_header(name), address);
}

// Uri rules read each link in every form SpamAssassin's read, each
// form once, as SpamAssassin lists them; then spam-score's normalised
// form, which undoes tricks SpamAssassin's forms leave in place. Past
// max_form_bytes of forms in one message, links are read as written
// alone: ten thousand long links of nested redirectors would otherwise
// make gigabytes of forms.
void add_uri_forms(MessageView& view, const Analysis& analysis) {
    constexpr size_t max_form_bytes = size_t{16} << 20;
    std::unordered_set<std::string> seen;
    size_t bytes = 0;
    auto add = [&](std::string form) {
        if (seen.insert(form).second)
            view.uris.push_back(std::move(form));
    };
    auto add_forms = [&](const std::string& written) {
        if (bytes > max_form_bytes) {
            add(written);
            return;
        }
        for (std::string& form : uri::spamassassin_forms(written)) {
            bytes += form.size();
            add(std::move(form));
        }
    };
    for (const uri::Uri& u : analysis.uris)
        for (const std::string& written : u.written)
            add_forms(written);
    for (const std::string& written : analysis.mail_links)
        add_forms(written);
    size_t spamassassin_forms = view.uris.size();
    for (const uri::Uri& u : analysis.uris)
        add(u.url);
    view.normalised_only_uris = view.uris.size() - spamassassin_forms;
}

} // namespace

std::string address_of(std::string_view value) {
    size_t open = value.rfind('<');
    if (open != std::string_view::npos) {
        size_t close = value.find('>', open);
        return ascii_lower(value.substr(
            open + 1, close == std::string_view::npos ? std::string_view::npos
                                                      : close - open - 1));
    }
    size_t at = value.find('@');
    if (at == std::string_view::npos)
        return "";
    size_t start = value.find_last_of(" \t\"(,:;", at);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = value.find_first_of(" \t\")>,;", at);
    return ascii_lower(value.substr(start, end == std::string_view::npos
                                               ? std::string_view::npos
                                               : end - start));
}

std::vector<std::string> from_mailboxes(const mime::Tree& tree) {
    std::vector<std::string> out;
    for (const std::string& value : tree.header_all("From")) {
        if (auto list = mail::parse_address_list(value)) {
            for (const mail::Mailbox& mailbox : *list)
                out.push_back(mail::address_key(mailbox.local_part + "@" +
                                                mailbox.domain));
            continue;
        }
        // A list no parser accepts still names its senders: each piece
        // between commas that holds an address counts.
        std::string decoded = text::decode_header(value);
        size_t start = 0;
        while (start <= decoded.size()) {
            size_t comma = decoded.find(',', start);
            size_t end = comma == std::string::npos ? decoded.size() : comma;
            std::string address = address_of(
                std::string_view(decoded).substr(start, end - start));
            if (!address.empty())
                out.push_back(mail::address_key(address));
            start = end + 1;
        }
    }
    return out;
}

std::string display_name_of(std::string_view value) {
    size_t open = value.rfind('<');
    if (open == std::string_view::npos) {
        size_t paren = value.find('(');
        size_t close = value.rfind(')');
        if (paren != std::string_view::npos && close > paren)
            return std::string(value.substr(paren + 1, close - paren - 1));
        return "";
    }
    std::string name = text::squeeze_space(value.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
        name = name.substr(1, name.size() - 2);
    return name;
}

namespace {

// GMime refuses a message whose first line is no header field, which is
// what a sender who wants the checks skipped would send. Readers show
// such mail anyway, so it is read as they would: the leading junk is
// skipped, and with no header at all the whole text is the body. The
// tree then carries an anomaly, so MIME_ANOMALY fires.
Result<mime::Tree> parse_leniently(std::string_view message,
                                   const Limits& limits) {
    auto tree = mime::parse(message, limits);
    if (tree)
        return tree;
    std::string_view text = mime::skip_from_line(message);
    size_t start = mail::first_header_line(text);
    if (start == 0)
        return tree;
    std::string readable = start < mail::header_block_end(text)
                               ? std::string(text.substr(start))
                               : "\n" + std::string(text);
    auto lenient = mime::parse(readable, limits);
    if (!lenient)
        return tree;
    lenient->anomalies.push_back({"HEADER_BLOCK_MALFORMED", "",
                                  start < mail::header_block_end(text)
                                      ? "lines before the first header field"
                                      : "no header fields"});
    return lenient;
}

} // namespace

Result<Analysis> analyse(std::string_view message, const Limits& limits,
                         size_t max_body_bytes, size_t max_links) {
    auto tree = parse_leniently(message, limits);
    if (!tree)
        return tree.error();
    Analysis out;
    out.tree = std::move(*tree);
    for (const mime::Header& h : out.tree.headers)
        out.decoded_headers.push_back(text::decode_header(h.value));
    // One link more than the limit is asked for, so passing it is seen.
    size_t asked = max_links == SIZE_MAX ? max_links : max_links + 1;
    out.text = text::extract(out.tree, max_body_bytes,
                             text::TextParts::inline_only, asked);
    out.uris = uri::collect(out.text, asked);
    if (out.text.raw_truncated && out.uris.size() < asked) {
        // A big message keeps its links: they are read past the body
        // cap, a part at a time, so its text is never copied whole.
        std::set<std::string> seen;
        for (const uri::Uri& u : out.uris)
            seen.insert(u.url);
        for (const mime::Part& part : out.tree.parts) {
            if (out.uris.size() >= asked)
                break;
            if (part.is_attachment || part.content_type.rfind("text/", 0) != 0)
                continue;
            for (uri::Uri& u : uri::find_in_text(
                     part.decoded, asked - out.uris.size() + seen.size()))
                if (out.uris.size() < asked && seen.insert(u.url).second)
                    out.uris.push_back(std::move(u));
        }
    }
    if (out.uris.size() > max_links) {
        out.uris.resize(max_links);
        out.links_past_limit = true;
    }
    out.links_past_limit = out.links_past_limit || out.text.links_dropped;
    for (const text::Link& link : out.text.links)
        if (out.mail_links.size() < max_links &&
            starts_with_ci(trim_space(link.href), "mailto:"))
            out.mail_links.push_back(link.href);
    return out;
}

MessageView make_view(const Analysis& analysis, std::string_view message,
                      const std::set<std::string>& selectors,
                      size_t max_body_bytes) {
    MessageView view;
    for (const std::string& selector : selectors)
        add_selector(view, analysis, selector);
    // As SpamAssassin, body rules read the subject as the first paragraph
    // and each paragraph of the text on its own, each ending in "\n".
    const text::MessageText& text = analysis.text;
    view.body.reserve(text.subject.size() + text.body.size() + 2);
    view.body += text.subject;
    view.body += '\n';
    size_t at = view.body.size();
    view.body += text.body;
    for (size_t space : text.paragraph_breaks)
        view.body[at + space] = '\n';
    if (!text.body.empty())
        view.body += '\n';
    view.rawbody = analysis.text.raw_body;
    message = mime::skip_from_line(message);
    view.full = std::string(message.substr(0, max_body_bytes));
    add_uri_forms(view, analysis);
    return view;
}

namespace {

// Seconds since the epoch of an RFC 2822 date, or nullopt.
std::optional<int64_t> parse_date(const std::string& text) {
    GDateTime* when = g_mime_utils_header_decode_date(text.c_str());
    if (!when)
        return std::nullopt;
    int64_t seconds = g_date_time_to_unix(when);
    g_date_time_unref(when);
    // GMime reads what it cannot parse as the epoch.
    if (seconds <= 0)
        return std::nullopt;
    return seconds;
}

// When the top Received header says our first relay took the message.
std::optional<int64_t> top_received_time(const mime::Tree& tree) {
    auto received = tree.header_all("Received");
    if (received.empty())
        return std::nullopt;
    const std::string& top = received.front();
    size_t semicolon = top.rfind(';');
    if (semicolon == std::string::npos)
        return std::nullopt;
    return parse_date(top.substr(semicolon + 1));
}

// Whether the Date header lies more than 12 hours after the message
// reached us: by the top Received header, else the envelope's arrival
// time, else now. Spamware sets dates in the future; a real mail
// program's clock is rarely hours ahead. (Dates days in the past are
// common in wanted mail too: digests, resent and archived mail.)
bool dated_in_future(const mime::Tree& tree,
                     std::optional<int64_t> envelope_received) {
    constexpr int64_t hour = 3600;
    auto dated = parse_date(tree.header("Date"));
    if (!dated)
        return false;
    int64_t reference = 0;
    if (auto relayed = top_received_time(tree))
        reference = *relayed;
    else if (envelope_received)
        reference = *envelope_received;
    else
        reference = static_cast<int64_t>(std::time(nullptr));
    return *dated - reference > 12 * hour;
}

size_t visible_letters(std::string_view text) {
    return static_cast<size_t>(
        std::count_if(text.begin(), text.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) ||
                   static_cast<unsigned char>(c) >= 0x80;
        }));
}

} // namespace

const std::vector<std::string>& builtin_names() {
    static const std::vector<std::string> names = {"ZERO_WIDTH_CHARS",
                                                   "LOOKALIKE_LINK",
                                                   "LOOKALIKE_WORDS",
                                                   "LOOKALIKE_HOST",
                                                   "FROM_DISPLAYNAME_SPOOF",
                                                   "MULTIPLE_FROM",
                                                   "HTML_HIDDEN_TEXT",
                                                   "URI_OBFUSCATED",
                                                   "URI_NUMERIC_HOST",
                                                   "HTML_ONLY",
                                                   "HTML_IMAGE_NO_TEXT",
                                                   "MIME_ANOMALY",
                                                   "MIME_PAST_LIMITS",
                                                   "LINKS_PAST_LIMIT",
                                                   "DATE_IN_FUTURE_12H",
                                                   "RDNS_NONE",
                                                   "RDNS_DYNAMIC",
                                                   "HELO_DYNAMIC",
                                                   "HELO_NOT_FQDN",
                                                   "BODY_TRUNCATED",
                                                   "FUZZY_SPAM",
                                                   "FUZZY_SPAM_STRONG",
                                                   "BAYES_00",
                                                   "BAYES_05",
                                                   "BAYES_20",
                                                   "BAYES_40",
                                                   "BAYES_50",
                                                   "BAYES_60",
                                                   "BAYES_80",
                                                   "BAYES_95",
                                                   "BAYES_99",
                                                   "BAYES_999",
                                                   "NGRAM_00",
                                                   "NGRAM_05",
                                                   "NGRAM_20",
                                                   "NGRAM_40",
                                                   "NGRAM_50",
                                                   "NGRAM_60",
                                                   "NGRAM_80",
                                                   "NGRAM_95",
                                                   "NGRAM_99",
                                                   "ALLOWLISTED",
                                                   "BLOCKLISTED"};
    return names;
}

std::set<std::string> builtin_tests(const Analysis& a, const Arrival& arrival) {
    std::set<std::string> hits;
    auto fire = [&](bool condition, const char* name) {
        if (condition)
            hits.insert(name);
    };
    fire(a.text.zero_width_subject + a.text.zero_width_body > 0,
         "ZERO_WIDTH_CHARS");
    fire(has_lookalike_link(a.uris), "LOOKALIKE_LINK");
    fire(a.text.lookalike_words > 0, "LOOKALIKE_WORDS");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.lookalike_host; }),
         "LOOKALIKE_HOST");
    fire(display_name_spoofs(a.tree), "FROM_DISPLAYNAME_SPOOF");
    fire(a.tree.header_all("From").size() > 1, "MULTIPLE_FROM");
    fire(a.text.hidden_html_bytes > 20, "HTML_HIDDEN_TEXT");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.obfuscated; }),
         "URI_OBFUSCATED");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.numeric_host; }),
         "URI_NUMERIC_HOST");
    fire(a.text.has_html && !a.text.has_plain, "HTML_ONLY");
    // A picture with next to no words: the pitch is in the picture, where
    // neither rules nor Bayes can read it.
    fire(a.text.has_html && a.text.html_images > 0 &&
             visible_letters(a.text.body) < 200,
         "HTML_IMAGE_NO_TEXT");
    fire(!a.tree.anomalies.empty(), "MIME_ANOMALY");
    // Header fields, parts or nesting past the parser's limits were never
    // read: padding a message past them hides its subject and links from
    // every rule. The limits are far above what any mail program writes.
    fire(a.tree.has_anomaly("HEADER_BLOCK_TOO_LARGE") ||
             a.tree.has_anomaly("MIME_TOO_MANY_PARTS") ||
             a.tree.has_anomaly("MIME_NESTING_TOO_DEEP"),
         "MIME_PAST_LIMITS");
    fire(a.links_past_limit, "LINKS_PAST_LIMIT");
    fire(dated_in_future(a.tree, arrival.received_at), "DATE_IN_FUTURE_12H");
    // The relay that handed the message in: a mail server has a name
    // for its address, and a fixed one; a hijacked home computer sending
    // straight to us often has none, or one its provider gave a pool.
    auto relay = arrival.client ? arrival.client : received::handover(a.tree);
    if (relay) {
        fire(relay->rdns.empty(), "RDNS_NONE");
        fire(!relay->rdns.empty() &&
                 received::dynamic_name(relay->rdns, relay->ip),
             "RDNS_DYNAMIC");
        fire(received::dynamic_name(relay->helo, relay->ip), "HELO_DYNAMIC");
        fire(!relay->helo.empty() &&
                 (relay->helo.find('.') == std::string::npos ||
                  relay->helo.front() == '[' ||
                  net::parse_address(relay->helo)),
             "HELO_NOT_FQDN");
    }
    fire(a.text.truncated, "BODY_TRUNCATED");
    return hits;
}

} // namespace portcullis::spam_score
