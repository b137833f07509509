// Learned token counts held in memory: an open-addressing table keyed by
// the 64-bit token hash, one flat array and no allocation per token, so
// loading a database of a million tokens and probing it both stay cheap.
#pragma once

#include "core/state_store.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace portcullis::state {

/// A hash table from token hash to counts, sized once for its tokens.
class TokenTable {
public:
    /// Makes room for tokens entries without growing.
    void reserve(size_t tokens);

    /// Sets the counts of a token, adding it when new.
    void set(uint64_t token, TokenCounts counts);

    /// Returns the counts of a token, zero when unknown.
    TokenCounts find(uint64_t token) const;

    /// Starts loading the slot of a token into the CPU cache.
    void prefetch(uint64_t token) const {
        if (!slots_.empty())
            __builtin_prefetch(&slots_[home(token)]);
    }

    /// Forgets every token.
    void clear();

private:
    struct Slot {
        uint64_t token = 0; ///< 0 marks an empty slot
        TokenCounts counts;
    };

    size_t home(uint64_t token) const;
    void grow();

    std::vector<Slot> slots_;
    size_t used_ = 0;
    TokenCounts zero_token_; ///< token 0 lives here, not in a slot
};

} // namespace portcullis::state
