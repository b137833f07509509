// Top lists whose memory has a bound. Their keys (attachment types and
// names above all) are chosen by whoever sends mail, so a list that kept
// every key would grow with the log; this one keeps a fixed number and
// still finds the keys that matter (share/doc/report.md, Top lists
// and their cap).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace portcullis::report {

/// Keys each top list keeps unless --max-keys says otherwise.
inline constexpr size_t default_max_keys = 10000;

/// Bytes of a key that are kept; a longer one is cut and ends in "...".
inline constexpr size_t max_key_bytes = 200;

/// Returns key cut to max_key_bytes, not splitting a UTF-8 sequence.
std::string cut_key(std::string_view key);

/// One row of a top list.
struct TopEntry {
    std::string key;
    uint64_t count = 0;   ///< counted for this key for certain
    uint64_t at_most = 0; ///< what it may have been, the most; >= count
};

/// Counts per key, keeping at most max_keys keys. Until a key has to be
/// dropped every count is exact; after, the list works as the
/// space-saving counter of Metwally, Agrawal and El Abbadi (2005).
class TopList {
public:
    explicit TopList(size_t max_keys = default_max_keys);

    /// Counts one more for key, cut by cut_key.
    void add(std::string_view key);

    /// Returns the n entries of the largest certain counts, largest
    /// first; ties by key.
    std::vector<TopEntry> top(size_t n) const;

    /// Returns how many were counted, for every key, kept or dropped.
    uint64_t total() const { return total_; }

    /// Returns true once a key was dropped to make room for another.
    bool capped() const { return capped_; }

    bool empty() const { return total_ == 0; }

    size_t max_keys() const { return max_keys_; }

private:
    struct Slot {
        uint64_t count = 0; ///< at most; exact when error is 0
        uint64_t error = 0; ///< what count may hold of other keys
        uint64_t touched = 0;
    };

    // Ordered by count, then by when last counted: the first is the key
    // to drop, the least counted and, among those, the longest idle.
    using Rank = std::tuple<uint64_t, uint64_t, const std::string*>;

    // Drops the least counted key and returns its count.
    uint64_t make_room();

    size_t max_keys_;
    uint64_t total_ = 0;
    uint64_t clock_ = 0;
    bool capped_ = false;
    std::map<std::string, Slot, std::less<>> slots_;
    std::set<Rank> ranks_;
};

} // namespace portcullis::report
