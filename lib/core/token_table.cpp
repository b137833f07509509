// Linear probing over a power-of-two array kept at most half full; the
// token hashes are mixed once more so that keys differing only in their
// high bits still spread over the slots.
#include "core/token_table.hpp"

namespace portcullis::state {

namespace {

constexpr size_t min_slots = 16;

size_t slots_for(size_t tokens) {
    size_t slots = min_slots;
    while (slots < tokens * 2)
        slots *= 2;
    return slots;
}

} // namespace

size_t TokenTable::home(uint64_t token) const {
    uint64_t mixed = token * 0x9e3779b97f4a7c15ull;
    return static_cast<size_t>(mixed >> 32) & (slots_.size() - 1);
}

void TokenTable::reserve(size_t tokens) {
    if (slots_for(tokens) <= slots_.size())
        return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(slots_for(tokens), Slot{});
    used_ = 0;
    for (const Slot& slot : old)
        if (slot.token != 0)
            set(slot.token, slot.counts);
}

void TokenTable::grow() {
    reserve(used_ + 1);
}

void TokenTable::set(uint64_t token, TokenCounts counts) {
    if (token == 0) {
        zero_token_ = counts;
        return;
    }
    if ((used_ + 1) * 2 > slots_.size())
        grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = home(token);; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.token == token) {
            slot.counts = counts;
            return;
        }
        if (slot.token == 0) {
            slot = {token, counts};
            ++used_;
            return;
        }
    }
}

TokenCounts TokenTable::find(uint64_t token) const {
    if (token == 0)
        return zero_token_;
    if (slots_.empty())
        return {};
    size_t mask = slots_.size() - 1;
    for (size_t i = home(token);; i = (i + 1) & mask) {
        const Slot& slot = slots_[i];
        if (slot.token == token)
            return slot.counts;
        if (slot.token == 0)
            return {};
    }
}

void TokenTable::clear() {
    slots_.clear();
    used_ = 0;
    zero_token_ = {};
}

} // namespace portcullis::state
