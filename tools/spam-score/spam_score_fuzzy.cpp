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

// Hashes the words of a text as FNV-1a over their lower-case letters,
// without building them: letters and non-ASCII bytes make words, digits
// are skipped, anything else ends a word; one-letter words are dropped.
class WordHasher {
public:
    static constexpr uint64_t fnv_basis = 0xcbf29ce484222325ull;
    static constexpr uint64_t fnv_prime = 0x100000001b3ull;

    /// Reads text; returns false once max_words were taken.
    bool read(std::string_view text) {
        for (char ch : text) {
            if (hashes.size() >= max_words)
                return false;
            auto c = static_cast<unsigned char>(ch);
            if (c >= 'A' && c <= 'Z')
                c = static_cast<unsigned char>(c - 'A' + 'a');
            if ((c >= 'a' && c <= 'z') || c >= 0x80) {
                hash_ = (hash_ ^ c) * fnv_prime;
                ++length_;
            } else if (c < '0' || c > '9') {
                flush();
            }
        }
        return true;
    }

    void flush() {
        if (length_ >= 2)
            hashes.push_back(hash_);
        hash_ = fnv_basis;
        length_ = 0;
    }

    std::vector<uint64_t> hashes;

private:
    uint64_t hash_ = fnv_basis;
    size_t length_ = 0;
};

uint64_t band_key(size_t band, const std::vector<uint64_t>& hashes) {
    uint64_t key = mix(band + 1);
    for (size_t i = band * band_rows; i < (band + 1) * band_rows; ++i)
        key = mix(key ^ hashes[i]);
    return key;
}

} // namespace

std::vector<uint64_t> fuzzy_signature(const text::MessageText& text) {
    WordHasher hasher;
    if (hasher.read(text.subject) && hasher.read(" "))
        hasher.read(text.body);
    hasher.flush();
    const std::vector<uint64_t>& words = hasher.hashes;
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

FuzzyIndex::FuzzyIndex(std::vector<state::Signature> signatures) {
    for (state::Signature& signature : signatures)
        add(std::move(signature));
}

void FuzzyIndex::add(state::Signature signature) {
    remove(signature.digest);
    size_t at = signatures_.size();
    if (signature.hashes.size() == fuzzy_hashes)
        for (size_t band = 0; band < fuzzy_hashes / band_rows; ++band)
            bands_.emplace(band_key(band, signature.hashes), at);
    by_digest_[signature.digest] = at;
    signatures_.push_back(std::move(signature));
}

void FuzzyIndex::remove(const std::string& digest) {
    auto it = by_digest_.find(digest);
    if (it == by_digest_.end())
        return;
    signatures_[it->second].hashes.clear();
    by_digest_.erase(it);
}

std::vector<size_t>
FuzzyIndex::candidates(const std::vector<uint64_t>& sig) const {
    if (sig.size() != fuzzy_hashes)
        return {};
    std::set<size_t> found;
    for (size_t band = 0; band < fuzzy_hashes / band_rows; ++band) {
        auto [first, last] = bands_.equal_range(band_key(band, sig));
        for (auto it = first; it != last; ++it)
            if (signatures_[it->second].hashes.size() == fuzzy_hashes)
                found.insert(it->second);
    }
    return {found.begin(), found.end()};
}

std::optional<FuzzyMatch> FuzzyIndex::best(const std::vector<uint64_t>& sig,
                                           double min_similarity) const {
    // all() keeps the order signatures were added in: of equally similar
    // ones, the first is taken.
    std::optional<FuzzyMatch> best;
    for (const FuzzyMatch& match : all(sig, min_similarity))
        if (!best || match.similarity > best->similarity)
            best = match;
    return best;
}

std::vector<FuzzyMatch> FuzzyIndex::all(const std::vector<uint64_t>& sig,
                                        double min_similarity) const {
    std::vector<FuzzyMatch> out;
    for (size_t i : candidates(sig)) {
        double similarity = fuzzy_similarity(sig, signatures_[i].hashes);
        if (similarity >= min_similarity)
            out.push_back({signatures_[i].digest, similarity});
    }
    return out;
}

} // namespace portcullis::spam_score
