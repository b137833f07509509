// spam-score's second learned classifier: logistic regression over the
// byte 4-grams of a message's first kilobytes, headers and body as they
// came. Bayes reads words; this reads the shape of the bytes (header
// layout, mailer quirks, encodings, markup), and as a discriminative
// model it weighs features that always come together once, where naive
// Bayes counts them again for each. It is fitted anew on every learned
// message whenever learning changes, so what it says depends on what was
// learned, never on the order it was learned in, and forgetting a
// message takes out all it taught.
#pragma once

#include "core/state_store.hpp"
#include "spam_score_analysis.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::spam_score {

/// The bytes of a message the features are read from.
inline constexpr size_t ngram_window = 3000;

/// Features are 4-grams hashed into 2^ngram_bits weights.
inline constexpr unsigned ngram_bits = 20;

/// Examples of each class a model needs before one is fitted.
inline constexpr size_t min_ngram_examples = 10;

/// The name the fitted model is stored under.
inline constexpr const char* ngram_model_name = "ngram";

/// Returns the hashed 4-grams of the first ngram_window bytes of
/// "Subject: SUBJECT\n" and the message, sorted, each once. The
/// message's own Subject field is left out: the subject given is the
/// one decoded and without the subject tag, so a tagged copy learned
/// from a mailbox, however the tag was folded or encoded, teaches what
/// the gateway will score. Header fields Portcullis adds (X-Spam-*,
/// X-Portcullis-*) are left out too, and so are trace fields, dates,
/// message ids and what later hops add, which say when and how a
/// message came rather than what it is. CR before LF is left out, so a
/// message reads the same either way.
std::vector<uint32_t> ngram_features(std::string_view message,
                                     std::string_view subject);

/// Returns ngram_features() of a message with its first Subject field
/// decoded and without subject_tag in front, as its identity reads it.
std::vector<uint32_t> message_ngrams(const Analysis& analysis,
                                     std::string_view message,
                                     std::string_view subject_tag);

/// Returns features as stored: deltas of the sorted values, as
/// variable-length integers after a format byte.
std::string encode_features(std::span<const uint32_t> features);

/// Returns stored features, or nullopt when the bytes are not what
/// encode_features writes (a damaged row).
std::optional<std::vector<uint32_t>> decode_features(std::string_view bytes);

/// A fitted model: one weight per hashed feature.
class NgramModel {
public:
    /// Fits a model on the examples: the same examples give the same
    /// model in whatever order they come. An example whose features
    /// cannot be read is passed over and counted in skipped.
    static NgramModel fit(std::span<const state::Example> examples,
                          size_t& skipped);

    /// Reads a stored model, or nullopt when the bytes are no model.
    static std::optional<NgramModel> read(std::string_view bytes);

    /// Returns the model as stored.
    std::string bytes() const;

    /// Returns the spam probability of a message's features, 0 to 1.
    double probability(std::span<const uint32_t> features) const;

private:
    std::vector<float> weights_;
};

/// Returns the built-in rule a probability fires: NGRAM_00 to NGRAM_99,
/// in the bands Bayes's rules use.
std::string ngram_rule(double probability);

} // namespace portcullis::spam_score
