// Buffered reading from a file descriptor: lines with a length limit and
// exact byte counts, with the offset kept so errors can name where they are.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis {

/// Reads a descriptor through a buffer, tracking the byte offset.
class ByteReader {
public:
    explicit ByteReader(int fd, std::string name);

    /// Returns the next byte without consuming it, or -1 at end of input.
    Result<int> peek();

    /// Returns the next count bytes (at most 64 KiB) without consuming
    /// them; fewer at end of input.
    Result<std::string_view> peek_bytes(size_t count);

    /// Reads up to and including LF into line; false at end of input.
    /// A line longer than max_bytes is an error.
    Result<bool> read_line(std::string& line, size_t max_bytes);

    /// Reads the next max_bytes (at least 1) of a line, up to and
    /// including its LF, into line; complete says the line ended there
    /// (or at the end of input). False at end of input. A long line is
    /// read in parts, never refused: a reader that must walk past one
    /// (an mbox message over the size limit) can.
    Result<bool> read_line_part(std::string& line, size_t max_bytes,
                                bool& complete);

    /// Appends exactly count bytes to out; fewer at end of input is an
    /// error naming how many arrived.
    Status read_exact(std::string& out, size_t count);

    /// Reads and drops exactly count bytes, keeping none of them in
    /// memory; fewer at end of input is the same error as read_exact's.
    Status skip_exact(uint64_t count);

    /// Appends all remaining bytes, failing once out would hold more than
    /// max_bytes, what it held before included; out then holds what fits
    /// and the rest is still unread.
    Status read_all(std::string& out, size_t max_bytes);

    /// Passes every remaining byte to sink, a buffer at a time.
    Status copy_rest(const std::function<void(std::string_view)>& sink);

    /// Reads and drops everything up to end of input.
    void discard_all();

    /// Returns how many bytes are left to read when the input is a
    /// regular file, counting those buffered; nullopt for a pipe or
    /// anything else whose end is not known before it comes.
    std::optional<uint64_t> bytes_left() const;

    /// Returns the offset of the next unread byte.
    uint64_t offset() const { return offset_; }

    /// Returns the name used in errors ("-" for stdin, else a path).
    const std::string& name() const { return name_; }

private:
    Result<bool> fill();
    Status take(uint64_t count, std::string* out);

    int fd_;
    std::string name_;
    std::unique_ptr<char[]> buffer_;
    size_t capacity_;
    size_t start_ = 0;
    size_t end_ = 0;
    uint64_t offset_ = 0;
    bool eof_ = false;
};

} // namespace portcullis
