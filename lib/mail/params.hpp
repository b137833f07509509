// Our reading of structured header values (Content-Type, Content-
// Disposition): the leading token, then parameters with quoted strings,
// RFC 2231 continuations and charsets, and RFC 2047 encoded-words inside
// quoted values decoded as MUAs do. Decoded values keep every byte,
// NUL included, so no layer sees a shorter name than another.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

/// One parameter after continuations are joined and values decoded.
struct Parameter {
    std::string name;    ///< lower case, without section or star
    std::string value;   ///< decoded, UTF-8 where a charset was named
    std::string raw;     ///< as written (sections joined), for logs
    std::string charset; ///< RFC 2231 charset, lower case
    bool extended = false;
};

/// A parsed header value: its token and its parameters.
struct HeaderValue {
    std::string token; ///< "type/subtype" or disposition, lower case
    /// Every parameter in order of appearance; a repeated name appears
    /// once per reading, the one MUAs prefer first.
    std::vector<Parameter> parameters;
    /// Names given more than once, or whose forms disagree.
    std::vector<std::string> duplicates;
    bool truncated = false; ///< the parameter or section limit was hit

    /// Returns the first parameter with this (lower-case) name, or null.
    const Parameter* find(std::string_view name) const;

    /// Returns the decoded value of a parameter, or empty.
    std::string get(std::string_view name) const;

    /// Returns every reading of a parameter, in order.
    std::vector<const Parameter*> find_all(std::string_view name) const;
};

/// Most name=value pieces read from one header; more are ignored and
/// the value is marked truncated, so hostile headers stay linear.
inline constexpr size_t max_parameter_pieces = 4096;

/// Parses a structured header value; never fails, as mail readers do not.
HeaderValue parse_header_value(std::string_view text);

/// A Content-Transfer-Encoding value as mail readers take it.
struct TransferEncoding {
    std::string name; ///< the leading token, lower case; empty when none
    bool odd = false; ///< the value holds more than one bare token
};

/// Reads a Content-Transfer-Encoding value the way lenient readers do:
/// leading comments are skipped and the token ends at a blank, `;`, `,`
/// or `(`, so `base64;` and `base64 (x)` both name base64.
TransferEncoding read_transfer_encoding(std::string_view value);

} // namespace portcullis::mime
