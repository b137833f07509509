// Links in a message, found and de-obfuscated: hxxp schemes, "[.]" dots,
// user-info tricks, numeric and percent-encoded hosts and look-alike
// letters are undone, so rules and lists judge the host a click reaches.
#pragma once

#include "mail/text.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::uri {

/// One link, normalised.
struct Uri {
    std::string url; ///< scheme://host/path, host normalised
    /// The link as each place wrote it, each once, at most
    /// max_written_forms of them.
    std::vector<std::string> written;
    std::string host;       ///< lower case, look-alikes folded, no port
    std::string shown_text; ///< the anchor text, for HTML links
    bool from_html = false;
    bool obfuscated = false;     ///< the written form hid the real one
    bool numeric_host = false;   ///< an IP address, in any notation
    bool lookalike_host = false; ///< folding changed the host
};

/// The written forms kept of one link: a message can write one link in
/// endless ways, in upper and lower case.
inline constexpr size_t max_written_forms = 16;

/// Returns the links in plain text, in order, each once; at most limit.
std::vector<Uri> find_in_text(std::string_view text, size_t limit = SIZE_MAX);

/// Which hosts make a link: text holds words like "http://x" that are
/// none, but an anchor's http or https link to a one-label host
/// ("http://intranet/") is one a browser opens.
enum class Hosts { dotted, labels_too };

/// Normalises one link as written; empty url when it is none.
Uri normalize(std::string_view written, Hosts hosts = Hosts::dotted);

/// The longest link whose forms are made: a longer one is read only as
/// written (SpamAssassin reads no link of more than 2,048 bytes from
/// text), so that a hostile link costs no more than its own bytes.
inline constexpr size_t max_form_link_bytes = 8192;

/// Returns the forms of a link as written that SpamAssassin's uri rules
/// read, each once: the link, trimmed, then each form SpamAssassin's
/// canonicalisation adds (decoded, with a scheme, a default port, a
/// second user-info or a trailing dot dropped, a numeric host as a dotted
/// quad, a redirector's target, a mailto: address alone).
std::vector<std::string> spamassassin_forms(std::string_view written);

/// Returns the registrable part of a host: "example.co.uk" for
/// "mail.example.co.uk"; an IP address is returned whole.
std::string registrable_domain(std::string_view host);

/// Returns true when an anchor's text names another site than its target,
/// the look-alike link of phishing mail.
bool shows_other_site(const Uri& uri);

/// Returns every link of a message: HTML anchors, then links in its text,
/// each once; at most limit.
std::vector<Uri> collect(const text::MessageText& message,
                         size_t limit = SIZE_MAX);

} // namespace portcullis::uri
