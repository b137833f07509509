// Min-hash over word shingles. Digits are dropped before shingling, as
// spam variants most often differ in order numbers, prices and tracking
// ids; bands of four hashes find candidates without a full scan.
#include "spam_score_fuzzy.hpp"

#include <algorithm>
#include <set>

namespace portcullis::spam_score {

namespace {

constexpr size_t shingle_words = 4;
constexpr size_t min_words = 12;
constexpr size_t max_words = 3000;
constexpr size_t band_rows = 4;

uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t hash_bytes(std::string_view s) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::vector<uint64_t> word_hashes(std::string_view text) {
    std::vector<uint64_t> out;
    std::string word;
    auto flush = [&] {
        if (word.size() >= 2)
            out.push_back(hash_bytes(word));
        word.clear();
    };
    for (unsigned char c : text) {
        if (out.size() >= max_words)
            break;
        if (std::isalpha(c) || c >= 0x80)
            word += static_cast<char>(std::tolower(c));
        else if (!std::isdigit(c))
            flush();
    }
    flush();
    return out;
}

uint64_t band_key(size_t band, const std::vector<uint64_t>& hashes) {
    uint64_t key = mix(band + 1);
    for (size_t i = band * band_rows; i < (band + 1) * band_rows; ++i)
        key = mix(key ^ hashes[i]);
    return key;
}

} // namespace

std::vector<uint64_t> fuzzy_signature(const text::MessageText& text) {
    std::vector<uint64_t> words = word_hashes(text.subject + " " + text.body);
    if (words.size() < min_words)
        return {};
    std::vector<uint64_t> signature(fuzzy_hashes, UINT64_MAX);
    for (size_t i = 0; i + shingle_words <= words.size(); ++i) {
        uint64_t shingle = 0;
        for (size_t k = 0; k < shingle_words; ++k)
            shingle = mix(shingle ^ words[i + k]);
        for (size_t h = 0; h < fuzzy_hashes; ++h)
            signature[h] = std::min(signature[h], mix(shingle + h * 0x9e37));
    }
    return signature;
}

double fuzzy_similarity(const std::vector<uint64_t>& a,
                        const std::vector<uint64_t>& b) {
    if (a.size() != fuzzy_hashes || b.size() != fuzzy_hashes)
        return 0;
    size_t same = 0;
    for (size_t i = 0; i < fuzzy_hashes; ++i)
        same += a[i] == b[i];
    return static_cast<double>(same) / fuzzy_hashes;
}

FuzzyIndex::FuzzyIndex(std::vector<state::Signature> signatures)
    : signatures_(std::move(signatures)) {
    for (size_t i = 0; i < signatures_.size(); ++i) {
        if (signatures_[i].hashes.size() != fuzzy_hashes)
            continue;
        for (size_t band = 0; band < fuzzy_hashes / band_rows; ++band)
            bands_.emplace(band_key(band, signatures_[i].hashes), i);
    }
}

std::optional<FuzzyMatch> FuzzyIndex::best(const std::vector<uint64_t>& sig,
                                           double min_similarity) const {
    if (sig.size() != fuzzy_hashes)
        return std::nullopt;
    std::set<size_t> candidates;
    for (size_t band = 0; band < fuzzy_hashes / band_rows; ++band) {
        auto [first, last] = bands_.equal_range(band_key(band, sig));
        for (auto it = first; it != last; ++it)
            candidates.insert(it->second);
    }
    std::optional<FuzzyMatch> best;
    for (size_t i : candidates) {
        double similarity = fuzzy_similarity(sig, signatures_[i].hashes);
        if (similarity >= min_similarity &&
            (!best || similarity > best->similarity))
            best = FuzzyMatch{signatures_[i].digest, similarity};
    }
    return best;
}

} // namespace portcullis::spam_score
