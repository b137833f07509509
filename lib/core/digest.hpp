// Message digests as lower-case hex, for part hashes and tamper evidence.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace portcullis::digest {

/// Returns the SHA-256 of data as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

/// A SHA-256 of data given a piece at a time, for text too long to hold.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    /// Adds the next piece of the data.
    void update(std::string_view data);

    /// Returns the digest of all that was added as 64 lower-case hex
    /// digits; nothing may be added after.
    std::string hex();

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

} // namespace portcullis::digest
