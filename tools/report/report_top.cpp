// Top lists with a bound on their keys: exact counts while the keys fit,
// then a space-saving counter, whose counts stay within a known error
// and which keeps every key counted often enough to matter.
#include "report_top.hpp"

#include <algorithm>

namespace portcullis::report {

namespace {

constexpr std::string_view cut_mark = "...";

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

// A cut that saves less than its mark is none, so a key cut once is
// never cut again: the per-message sets and the list agree on it.
std::string cut_key(std::string_view key) {
    if (key.size() <= max_key_bytes + cut_mark.size())
        return std::string(key);
    size_t keep = max_key_bytes;
    while (keep > 0 && is_continuation(key[keep]))
        --keep;
    std::string out(key.substr(0, keep));
    out += cut_mark;
    return out;
}

TopList::TopList(size_t max_keys) : max_keys_(std::max<size_t>(max_keys, 1)) {}

// The key dropped is one of the least counted. Its count is the most
// any key not in the list can have had, so the key taken in starts from
// it: that keeps every key counted more often than total/max_keys in
// the list, and error says how much of its count may be another's.
void TopList::add(std::string_view raw) {
    std::string key = cut_key(raw);
    ++total_;
    ++clock_;
    auto slot = slots_.find(key);
    if (slot == slots_.end()) {
        uint64_t floor = 0;
        if (slots_.size() >= max_keys_)
            floor = make_room();
        slot = slots_.emplace(std::move(key), Slot{floor, floor, 0}).first;
    } else {
        ranks_.erase({slot->second.count, slot->second.touched, &slot->first});
    }
    ++slot->second.count;
    slot->second.touched = clock_;
    ranks_.insert({slot->second.count, slot->second.touched, &slot->first});
}

uint64_t TopList::make_room() {
    auto least = ranks_.begin();
    uint64_t count = std::get<0>(*least);
    const std::string* key = std::get<2>(*least);
    ranks_.erase(least);
    slots_.erase(slots_.find(*key));
    capped_ = true;
    return count;
}

std::vector<TopEntry> TopList::top(size_t n) const {
    std::vector<TopEntry> entries;
    entries.reserve(slots_.size());
    for (const auto& [key, slot] : slots_)
        entries.push_back({key, slot.count - slot.error, slot.count});
    auto first = [](const TopEntry& a, const TopEntry& b) {
        if (a.count != b.count)
            return a.count > b.count;
        return a.key < b.key;
    };
    n = std::min(n, entries.size());
    std::partial_sort(entries.begin(), entries.begin() + n, entries.end(),
                      first);
    entries.resize(n);
    return entries;
}

} // namespace portcullis::report
