// One message taken apart once for every check: its MIME tree, readable
// text and links, the views rules read, and the built-in tests that need
// code rather than a pattern (look-alike links, invisible characters).
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"
#include "mail/envelope.hpp"
#include "mail/mime.hpp"
#include "mail/received.hpp"
#include "mail/text.hpp"
#include "mail/uri.hpp"
#include "spam_score_rules.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace portcullis::spam_score {

/// A message taken apart.
struct Analysis {
    mime::Tree tree;
    text::MessageText text;
    std::vector<uri::Uri> uris;
    bool links_past_limit = false; ///< more links than max_links: not read
    std::vector<std::string> decoded_headers; ///< tree.headers, decoded
    /// mailto: links of HTML anchors as written, up to max_links: uri
    /// rules read them, as SpamAssassin's do.
    std::vector<std::string> mail_links;
};

/// The links read from one message, by default: each costs a few hundred
/// bytes, and a 51 MB message of short links held 2.5 million of them.
inline constexpr size_t default_max_links = 10000;

/// Parses a message and extracts its text (body read up to the cap) and
/// its links (read from the whole body, beyond the cap too), up to
/// max_links of them.
Result<Analysis> analyse(std::string_view message, const Limits& limits,
                         size_t max_body_bytes,
                         size_t max_links = default_max_links);

/// Returns what rules read; only the header selectors rules use are built.
MessageView make_view(const Analysis& analysis, std::string_view message,
                      const std::set<std::string>& selectors,
                      size_t max_body_bytes);

/// What the envelope says of a message's arrival, when a front end (an
/// SMTP server) wrote it: when, and the client that sent it.
struct Arrival {
    std::optional<int64_t> received_at;
    std::optional<received::Relay> client;
};

/// Returns the names of the built-in tests that fired. The envelope's
/// arrival time is used when no Received header says when; its client
/// is the relay judged, else the one the Received headers name.
std::set<std::string> builtin_tests(const Analysis& analysis,
                                    const Arrival& arrival = {});

using mail::parse_rfc3339;

/// Returns the names of every built-in test, fired or not.
const std::vector<std::string>& builtin_names();

/// Returns the address part of a header value, lower case, or empty.
std::string address_of(std::string_view value);

/// Returns every mailbox of every From header as mail::address_key gives
/// it; a list no parser reads still yields the addresses in it.
std::vector<std::string> from_mailboxes(const mime::Tree& tree);

/// Returns the display-name part of a header value, unquoted.
std::string display_name_of(std::string_view value);

} // namespace portcullis::spam_score
