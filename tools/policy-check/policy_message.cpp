// Message facts. The body text comes from lib/mail/text (decoded,
// charset-converted, HTML reduced, invisible characters removed and
// look-alikes folded) so rules match what a reader sees.
#include "policy_message.hpp"

#include "mail/text.hpp"
#include "mail/unicode_marks.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::policy {

namespace {

const char* header_name(const std::string& field) {
    if (field == "from")
        return "From";
    if (field == "to")
        return "To";
    if (field == "cc")
        return "Cc";
    return "Reply-To";
}

void add_unique(std::vector<std::string>& list, std::string id) {
    if (std::find(list.begin(), list.end(), id) == list.end())
        list.push_back(std::move(id));
}

// Names are shown in reasons and logs: controls and invisible
// characters are escaped, so a right-to-left override cannot reorder
// what the administrator reads and a zero-width space cannot hide.
std::string printable(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size();) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
            ++i;
        } else if (size_t length = mail::invisible_length(name, i)) {
            out += fmt::format("\\u{:04x}", static_cast<uint32_t>(
                                                mail::utf8_at(name, i).value));
            i += length;
        } else {
            out += name[i++];
        }
    }
    return out;
}

} // namespace

bool AttachmentFacts::disguised() const {
    return std::any_of(
        names.begin(), names.end(),
        [](const attachment::NameInfo& info) { return info.disguised(); });
}

MessageFacts::MessageFacts(const stream::Record& record, const mime::Tree& tree,
                           const attachment::ArchiveLimits& archive_limits,
                           size_t max_body_bytes, size_t max_header_bytes)
    : tree_(tree), archive_limits_(archive_limits),
      max_body_bytes_(max_body_bytes),
      envelope_(mail::read_envelope(record.envelope, record.message,
                                    max_header_bytes)) {
    auto client = record.envelope.find("client");
    if (client != record.envelope.end() && client->is_object()) {
        auto ip = client->find("ip");
        if (ip != client->end() && ip->is_string())
            client_ip_ = ip->get<std::string>();
    }
    find_anomalies();
}

void MessageFacts::find_anomalies() {
    for (const mime::Anomaly& anomaly : tree_.anomalies)
        add_unique(anomalies_, anomaly.id);
    auto from = tree_.header_all("From");
    if (from.size() > 1)
        add_unique(anomalies_, "MULTIPLE_FROM_HEADERS");
    for (std::string field : {"From", "Reply-To", "To", "Cc"}) {
        for (const std::string& value : tree_.header_all(field)) {
            auto list = mail::parse_address_list(value);
            std::string id = field;
            std::transform(id.begin(), id.end(), id.begin(), [](char c) {
                return c == '-' ? '_' : static_cast<char>(std::toupper(c));
            });
            if (!list) {
                add_unique(anomalies_, "INVALID_" + id);
                continue;
            }
            for (const mail::Mailbox& box : *list) {
                if (field == std::string("From") &&
                    mail::display_name_spoof(box.display_name.empty()
                                                 ? box.comment
                                                 : box.display_name,
                                             box.address()))
                    add_unique(anomalies_, "FROM_DISPLAYNAME_ADDR_MISMATCH");
            }
        }
    }
}

const std::vector<std::string>&
MessageFacts::header_addresses(const std::string& field) {
    auto found = addresses_.find(field);
    if (found != addresses_.end())
        return found->second;
    std::vector<std::string> out;
    for (const std::string& value : tree_.header_all(header_name(field))) {
        // An invalid field gives no address at all, never a guess.
        auto list = mail::parse_address_list(value);
        if (!list)
            continue;
        for (const mail::Mailbox& box : *list)
            out.push_back(box.address());
    }
    return addresses_[field] = std::move(out);
}

const std::string& MessageFacts::header_text(const std::string& name) {
    auto found = headers_.find(name);
    if (found != headers_.end())
        return found->second;
    std::string out;
    for (const std::string& value : tree_.header_all(name)) {
        if (!out.empty())
            out += '\n';
        out += text::decode_header(value);
    }
    return headers_[name] = std::move(out);
}

const std::string& MessageFacts::body_text() {
    if (!body_) {
        // Policies read words, not links: none are kept.
        text::MessageText text =
            text::extract(tree_, max_body_bytes_, text::TextParts::readable, 0);
        body_ = text.subject + "\n" + text.body;
        for (size_t start : text.piece_starts)
            piece_starts_.push_back(text.subject.size() + 1 + start);
        if (text.zero_width_body || text.zero_width_subject)
            add_unique(anomalies_, "ZERO_WIDTH_CHARS");
        if (text.lookalike_words)
            add_unique(anomalies_, "LOOKALIKE_CHARS");
        body_truncated_ = text.truncated;
        if (text.truncated)
            add_unique(anomalies_, "BODY_TEXT_TRUNCATED");
    }
    return *body_;
}

const std::vector<std::string>& MessageFacts::anomalies() {
    body_text();
    attachments();
    return anomalies_;
}

const Words& MessageFacts::words() {
    if (words_)
        return *words_;
    // Text read apart (hidden text, each comment or alt text) is split
    // on its own, and an empty word between pieces, which no entry is,
    // keeps a phrase from running across them.
    std::string_view text = body_text();
    Words words;
    size_t from = 0;
    auto take = [&](size_t to) {
        Words piece = split_words(text.substr(from, to - from));
        if (!words.words.empty() && !piece.words.empty())
            words.words.emplace_back();
        for (std::string& word : piece.words)
            words.words.push_back(std::move(word));
        from = to;
    };
    for (size_t start : piece_starts_)
        if (start > from && start <= text.size())
            take(start);
    take(text.size());
    words_ = std::move(words);
    return *words_;
}

void MessageFacts::add_archive_entries(const mime::Part& part) {
    auto listing = attachment::list_archive(part.decoded, part.display_name(),
                                            archive_limits_);
    for (const attachment::Entry& entry : listing.entries) {
        AttachmentFacts facts;
        facts.part = part.path;
        // Every name an extractor may give the file is judged, and all
        // are shown: the one a rule matched may be any of them.
        facts.shown_name = printable(entry.path);
        for (size_t i = 0; i < entry.names.size(); ++i) {
            if (i > 0)
                facts.shown_name += " or " + printable(entry.names[i]);
            facts.names.push_back(attachment::examine_name(entry.names[i]));
            if (facts.names.back().clsid)
                add_unique(anomalies_, "CLSID_EXTENSION");
        }
        facts.true_type = entry.true_type;
        facts.size = entry.size;
        facts.in_archive = true;
        facts.encrypted = entry.encrypted;
        attachments_->push_back(std::move(facts));
    }
    // A message or TNEF file inside was not opened: what it holds is
    // unlisted as surely as past a limit.
    if (!listing.limit.empty() || listing.container_unlisted)
        add_unique(anomalies_, "ARCHIVE_LIMIT");
    if (listing.encrypted)
        add_unique(anomalies_, "ARCHIVE_ENCRYPTED");
    if (listing.names_differ)
        add_unique(anomalies_, "ARCHIVE_NAME_MISMATCH");
    if (!listing.error.empty())
        add_unique(anomalies_, "ARCHIVE_UNREADABLE");
}

void MessageFacts::add_attachment(const mime::Part& part) {
    AttachmentFacts facts;
    facts.part = part.path;
    facts.shown_name = printable(part.display_name());
    std::vector<std::string> names;
    for (const std::string* name : {&part.filename, &part.name}) {
        if (!name->empty())
            names.push_back(*name);
    }
    for (const std::string& name : names)
        facts.names.push_back(attachment::examine_name(name));
    bool mismatch =
        facts.names.size() == 2 && facts.names[0].shown != facts.names[1].shown;
    // A repeated filename or name (MIME_DUPLICATE_PARAMETER) may be saved
    // under any of its values: all are judged and shown, as the one a
    // rule matched may be any of them.
    for (const std::string& other : part.other_names) {
        facts.shown_name += " or " + printable(other);
        facts.names.push_back(attachment::examine_name(other));
        names.push_back(other);
    }
    // Thunderbird names a part from Content-Name or X-Sun-Data-Name when
    // it has neither; every name a reader may save it under is judged.
    for (const std::string& legacy : part.legacy_names) {
        facts.names.push_back(attachment::examine_name(legacy));
        names.push_back(legacy);
    }
    // With no name at all, a reader names it from its declared type: an
    // unnamed text/html attachment opens in the browser like a .htm.
    std::string_view implied = attachment::implied_extension(part.content_type);
    if (facts.names.empty() && !implied.empty()) {
        facts.shown_name = fmt::format("(unnamed {})", part.content_type);
        facts.names.push_back(
            attachment::examine_name(fmt::format(".{}", implied)));
    }
    facts.true_type = attachment::true_type(part.decoded);
    facts.declared_type = part.content_type;
    facts.size = part.decoded.size();
    for (const auto& info : facts.names) {
        if (info.bidi_control)
            add_unique(anomalies_, "BIDI_CONTROL_IN_FILENAME");
        if (info.nul)
            add_unique(anomalies_, "NUL_IN_FILENAME");
        if (info.double_extension)
            add_unique(anomalies_, "DOUBLE_EXTENSION");
    }
    if (mismatch)
        add_unique(anomalies_, "ATTACHMENT_NAME_MISMATCH");
    bool archive = attachment::is_archive(part.decoded, facts.true_type, names);
    attachments_->push_back(std::move(facts));
    if (archive)
        add_archive_entries(part);
}

const std::vector<AttachmentFacts>& MessageFacts::attachments() {
    if (attachments_)
        return *attachments_;
    attachments_.emplace();
    for (const mime::Part& part : tree_.parts) {
        if (part.is_multipart || part.is_message)
            continue;
        // A named part is judged as an attachment even when inline:
        // what a reader can save and open is what matters.
        if (part.is_attachment || !part.display_name().empty())
            add_attachment(part);
    }
    return *attachments_;
}

} // namespace portcullis::policy
