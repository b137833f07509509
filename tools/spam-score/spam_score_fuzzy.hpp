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

/// The similarity at which a message matches a signature: FUZZY_SPAM.
inline constexpr double fuzzy_similar = 0.5;

/// The similarity of a strong match, FUZZY_SPAM_STRONG: a message this
/// close to a signature is taken for the spam it came from.
inline constexpr double fuzzy_strongly_similar = 0.8;

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

    /// Returns every signature at or above min_similarity, in the order
    /// they were added.
    std::vector<FuzzyMatch> all(const std::vector<uint64_t>& signature,
                                double min_similarity) const;

    /// Adds a signature, replacing the one stored under its digest.
    void add(state::Signature signature);

    /// Drops the signature stored under digest, if there is one.
    void remove(const std::string& digest);

    /// Returns true when a signature is stored under digest.
    bool contains(const std::string& digest) const {
        return by_digest_.contains(digest);
    }

    /// Returns the number of signatures held.
    size_t size() const { return by_digest_.size(); }

private:
    std::vector<size_t> candidates(const std::vector<uint64_t>& sig) const;

    // A dropped signature keeps its slot, with no hashes, so the bands
    // that point to it need no rebuilding.
    std::vector<state::Signature> signatures_;
    std::unordered_multimap<uint64_t, size_t> bands_;
    std::unordered_map<std::string, size_t> by_digest_;
};

} // namespace portcullis::spam_score
