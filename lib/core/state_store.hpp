// Learned state behind one interface: Bayes token counts, which messages
// were learned, and fuzzy signatures of reported spam. The embedded
// store is SQLite (sqlite_store.hpp); a Redis store shared by many
// gateways implements the same calls.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::state {

/// How often a token was seen in learned spam and ham.
struct TokenCounts {
    uint32_t spam = 0;
    uint32_t ham = 0;
};

/// How many messages were learned as each class, and in which token
/// format: counts learned in one format say nothing of another's tokens.
struct Totals {
    uint64_t spam = 0;
    uint64_t ham = 0;
    uint64_t token_format = 0; ///< 0: not recorded
};

/// A fuzzy signature of one reported spam, keyed by the message digest.
struct Signature {
    std::string digest;
    std::vector<uint64_t> hashes;
};

/// One learned message as the n-gram model is fitted on it: its class
/// and its features, in the model's own encoding.
struct Example {
    std::string digest;
    bool spam = false;
    std::string features;
};

/// How much learning a store keeps; 0 is no limit.
struct PruneLimits {
    uint64_t max_tokens = 0;     ///< token counts
    uint64_t max_signatures = 0; ///< fuzzy signatures
    uint64_t signature_days = 0; ///< days a signature is kept
    uint64_t max_examples = 0;   ///< messages the n-gram model is fitted on
};

/// What pruning removed, and what it left.
struct Pruned {
    uint64_t tokens = 0;
    uint64_t signatures = 0;
    uint64_t examples = 0;
    uint64_t tokens_left = 0;
    uint64_t signatures_left = 0;
    uint64_t examples_left = 0;
};

/// The store that spam-score's Bayes and fuzzy checks learn into.
class Store {
public:
    virtual ~Store() = default;

    /// Returns the counts of each token, in the order asked.
    virtual Result<std::vector<TokenCounts>>
    lookup(std::span<const uint64_t> tokens) = 0;

    /// Returns the number of messages learned as spam and as ham.
    virtual Result<Totals> totals() = 0;

    /// Returns whether a message was learned as spam (true) or ham, or
    /// nullopt when it was never learned.
    virtual Result<std::optional<bool>> learned_as(std::string_view digest) = 0;

    /// Returns true when anything was learned: a token count above zero,
    /// a learned message or a signature.
    virtual Result<bool> holds_learning() = 0;

    /// Records the token format the counts are learned in.
    virtual Status set_token_format(uint64_t format) = 0;

    /// Adds a message's tokens to one class and remembers its digest.
    virtual Status learn(std::string_view digest, bool spam,
                         std::span<const uint64_t> tokens) = 0;

    /// Takes a learned message's tokens out again and forgets its digest.
    virtual Status unlearn(std::string_view digest, bool spam,
                           std::span<const uint64_t> tokens) = 0;

    /// Stores a fuzzy signature, replacing one with the same digest.
    virtual Status add_signature(const Signature& signature) = 0;

    /// Removes a fuzzy signature; removing an absent one is no error.
    virtual Status remove_signature(std::string_view digest) = 0;

    /// Returns every fuzzy signature.
    virtual Result<std::vector<Signature>> signatures() = 0;

    /// Keeps a learned message's n-gram features under its digest. A
    /// digest that has features keeps them and takes the class given
    /// (a message moved): another copy of a message learned again, with
    /// other fields added on its way, changes nothing. Any change
    /// raises examples_generation().
    virtual Status keep_example(std::string_view digest, bool spam,
                                std::string_view features) = 0;

    /// Removes a message's features; removing absent ones is no error.
    virtual Status remove_example(std::string_view digest) = 0;

    /// Returns every stored example, in no particular order.
    virtual Result<std::vector<Example>> examples() = 0;

    /// Returns a number that changes whenever the examples change.
    virtual Result<uint64_t> examples_generation() = 0;

    /// Returns the fitted model stored under name, or nullopt when there
    /// is none (nothing fitted yet, too little to fit on, or a store
    /// made before models were).
    virtual Result<std::optional<std::string>> model(std::string_view name) = 0;

    /// Returns the examples_generation() the model stored under name
    /// was fitted at (or found too little to fit on), or nullopt when
    /// none was ever stored.
    virtual Result<std::optional<uint64_t>>
    model_generation(std::string_view name) = 0;

    /// Stores a model fitted at an examples generation; nullopt stores
    /// that there was too little to fit on.
    virtual Status set_model(std::string_view name,
                             const std::optional<std::string>& value,
                             uint64_t generation) = 0;

    /// Keeps the store within limits. Past max_tokens, the tokens least
    /// worth keeping go (the fewest counts, halved for each 180 days since
    /// a message last taught them) until nine tenths of the limit are
    /// left, so that learning one more message does not prune again.
    /// Signatures older than signature_days go, and past max_signatures
    /// the oldest, down to nine tenths of it; past max_examples the
    /// examples learned longest ago, down to nine tenths of it, but
    /// never a class below half of that while the other has more.
    virtual Result<Pruned> prune(const PruneLimits& limits) = 0;

    /// Runs body inside one transaction: all of it is kept, or none.
    virtual Status transaction(const std::function<Status()>& body) = 0;
};

} // namespace portcullis::state
