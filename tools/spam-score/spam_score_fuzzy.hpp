// Fuzzy signatures: a reported spam's normalised text cut into
// overlapping word shingles and summarised by min-hashes, so its later
// variants (new numbers, names or links, a reordered line) still match.
#pragma once

#include "core/state_store.hpp"
#include "mail/text.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace portcullis::spam_score {

/// The number of min-hashes in a signature.
inline constexpr size_t fuzzy_hashes = 64;

/// Returns the signature of a message's text, or an empty one when the
/// text is too short to tell one message from another.
std::vector<uint64_t> fuzzy_signature(const text::MessageText& text);

/// Returns the share of min-hashes two signatures have in common.
double fuzzy_similarity(const std::vector<uint64_t>& a,
                        const std::vector<uint64_t>& b);

/// A stored signature that a message resembles.
struct FuzzyMatch {
    std::string digest;
    double similarity = 0;
};

/// Signatures in memory, banded so a lookup reads only likely matches.
class FuzzyIndex {
public:
    /// Indexes the given signatures.
    explicit FuzzyIndex(std::vector<state::Signature> signatures);

    /// Returns the most similar signature at or above min_similarity.
    std::optional<FuzzyMatch> best(const std::vector<uint64_t>& signature,
                                   double min_similarity) const;

    size_t size() const { return signatures_.size(); }

private:
    std::vector<state::Signature> signatures_;
    std::unordered_multimap<uint64_t, size_t> bands_;
};

} // namespace portcullis::spam_score
