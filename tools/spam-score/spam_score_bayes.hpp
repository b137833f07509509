// spam-score's Bayes classifier: a message becomes tokens (words, word
// pairs, header fields, link hosts, address parts), and learned counts
// of those tokens give a spam probability by Fisher's chi-square method.
#pragma once

#include "core/state_store.hpp"
#include "mail/mime.hpp"
#include "mail/text.hpp"
#include "mail/uri.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::spam_score {

/// The format of the tokens tokenize() gives, and of the identity a
/// learned message is known by (message_identity). Raise it whenever a
/// change makes a message give other tokens or another identity: counts
/// learned in one format say little of another's, and a message learned
/// under both identities would count twice. The unit tests that pin the
/// tokens and the identity of a sample message say when. Format 6: the
/// identity is the sender's message, no longer the digest of the tokens.
/// Format 7: the body's words come from every alternative of a
/// multipart/alternative, no longer from its plain part alone.
/// Format 8: pairs of neighbouring body words only where one is an East
/// Asian character, a "UC:" token beside a word written in capitals, and
/// case folded in every script, not in ASCII alone. Format 9: a Subject
/// that is empty once the subject tag is taken off is no part of the
/// identity, as a message without one is tagged "Subject: [SPAM]".
constexpr uint64_t token_format = 9;

/// Returns the stable 64-bit hash a token is stored under.
uint64_t token_hash(std::string_view token);

/// Returns the tokens of a message, each once, as strings; decoded
/// holds the decoded value of each of tree.headers.
std::vector<std::string> tokenize(const mime::Tree& tree,
                                  const std::vector<std::string>& decoded,
                                  const text::MessageText& text,
                                  const std::vector<uri::Uri>& uris);

/// Returns the hashes of tokenize(), sorted, each once.
std::vector<uint64_t> token_hashes(const mime::Tree& tree,
                                   const std::vector<std::string>& decoded,
                                   const text::MessageText& text,
                                   const std::vector<uri::Uri>& uris);

/// The knobs of the classifier, with the defaults that were tuned on
/// the training groups.
struct BayesSettings {
    uint64_t min_learned = 100; ///< of each class before it says anything
    /// messages' worth of the token's overall rate each class's rate
    /// is estimated with
    double prior_messages = 10;
    double min_strength = 0.1; ///< |p - 0.5| a token needs to count
    size_t max_tokens = 1000;  ///< most significant tokens used
};

/// Returns one token's spam probability from its learned counts: near
/// 0.5 the fewer times either class was seen to hold it.
double token_probability(const state::TokenCounts& counts,
                         const state::Totals& totals,
                         const BayesSettings& settings);

/// Returns the spam probability of a message, 0 to 1, or nullopt when
/// too few messages were learned to say.
Result<std::optional<double>>
bayes_probability(state::Store& store, const std::vector<uint64_t>& hashes,
                  const BayesSettings& settings);

/// Returns the band a probability falls in, as SpamAssassin names its
/// Bayes rules: "00" (below 0.01), "05", "20", "40", "50" (0.40 to
/// 0.60), "60", "80", "95" or "99" (0.99 and above).
const char* probability_band(double probability);

/// Returns the built-in rules a probability fires, as SpamAssassin's
/// bands: one of BAYES_00 to BAYES_99, and BAYES_999 beside BAYES_99
/// from 0.999, so that a score or a meta on BAYES_99 covers 0.99 to 1.
std::vector<std::string> bayes_rules(double probability);

} // namespace portcullis::spam_score
