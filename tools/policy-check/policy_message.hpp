// What policy rules look at in one message, worked out once and only
// when a rule asks: addresses from the headers and the envelope, decoded
// header text, the readable body, and every attachment with its true type
// and the files inside it.
#pragma once

#include "core/limits.hpp"
#include "core/stream.hpp"
#include "mail/address.hpp"
#include "mail/attachment_type.hpp"
#include "mail/envelope.hpp"
#include "mail/mime.hpp"
#include "policy_words.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::policy {

/// One attachment, or one file inside an attached archive.
struct AttachmentFacts {
    std::string part;       ///< the MIME part path it came from
    std::string shown_name; ///< printable name, for reasons and logs
    std::vector<attachment::NameInfo> names; ///< filename and name
    std::string true_type;
    std::string declared_type;
    uint64_t size = 0;
    bool in_archive = false;
    bool encrypted = false;

    /// Returns true when a name hides what the file is.
    bool disguised() const;
};

/// The facts about one message, computed on first use.
class MessageFacts {
public:
    /// Reads at most max_body_bytes of body text; a longer body raises
    /// BODY_TEXT_TRUNCATED. An envelope is guessed from at most
    /// max_header_bytes of the header block.
    MessageFacts(const stream::Record& record, const mime::Tree& tree,
                 const attachment::ArchiveLimits& archive_limits,
                 size_t max_body_bytes, size_t max_header_bytes);

    /// Returns the envelope, guessed from headers for a plain file.
    const mail::Envelope& envelope() const { return envelope_; }

    /// Returns the addresses of a field: from, to, cc, reply_to.
    const std::vector<std::string>& header_addresses(const std::string& field);

    /// Returns every value of a header, decoded from RFC 2047, one per
    /// line.
    const std::string& header_text(const std::string& name);

    /// Returns the readable text of the subject and body.
    const std::string& body_text();

    /// Returns the words of the subject and body.
    const Words& words();

    /// Returns every attachment and archive entry.
    const std::vector<AttachmentFacts>& attachments();

    /// Returns the findings rules can test with `anomaly`; the body and
    /// attachments are examined first, as some findings come from them.
    const std::vector<std::string>& anomalies();

    /// Returns true when body text was read and stopped at the limit.
    bool body_truncated() const { return body_truncated_; }

    /// Returns the client address from the envelope, or empty.
    const std::string& client_ip() const { return client_ip_; }

    /// Returns the parsed MIME tree.
    const mime::Tree& tree() const { return tree_; }

private:
    void find_anomalies();
    void add_attachment(const mime::Part& part);
    void add_archive_entries(const mime::Part& part);

    const mime::Tree& tree_;
    attachment::ArchiveLimits archive_limits_;
    size_t max_body_bytes_;
    mail::Envelope envelope_;
    std::string client_ip_;
    std::vector<std::string> anomalies_;
    std::map<std::string, std::vector<std::string>> addresses_;
    std::map<std::string, std::string> headers_;
    std::optional<std::string> body_;
    std::vector<size_t> piece_starts_; ///< where text read apart starts
    bool body_truncated_ = false;
    std::optional<Words> words_;
    std::optional<std::vector<AttachmentFacts>> attachments_;
};

} // namespace portcullis::policy
