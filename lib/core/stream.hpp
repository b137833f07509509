// The stream format, version 1: a record is one line of JSON (the
// envelope) ended by LF, then exactly `size` bytes of message. Unknown
// envelope fields pass through untouched; see share/doc/stream-format.md.
#pragma once

#include "core/byte_reader.hpp"
#include "core/limits.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::stream {

/// The format version this build reads and writes.
inline constexpr int format_version = 1;

/// One message with its envelope. The envelope keeps field order so a
/// filter passes on what it does not know exactly as it came.
struct Record {
    nlohmann::ordered_json envelope = nlohmann::ordered_json::object();
    std::string message;
    /// For a record over the message size limit: its size, none of it
    /// inspected. Its bytes are still in the input (message is then
    /// empty) and are passed on as they are, never held whole in memory.
    /// A raw message on stdin passed on so (source::Inputs::
    /// pass_oversized_stdin) holds its first bytes in message, for
    /// guessing an envelope, and until the rest is passed on its size is
    /// unknown and unread only a lower bound.
    uint64_t unread = 0;
    /// Why the envelope of a well-framed record cannot be trusted (a field
    /// of the wrong type), naming the record; filters pass such a record
    /// on unjudged.
    std::optional<Error> bad_envelope;

    /// Returns the envelope id, or "-" when there is none.
    std::string id() const;
};

/// Returns the id of a message read from path: the path itself when it
/// is UTF-8 holding no backslash; else each backslash doubled and each
/// byte that is not part of a UTF-8 character written as \xNN, so that
/// the id is valid JSON text and can be turned back into the path.
std::string path_id(std::string_view path);

/// Returns a fresh envelope for a message that arrived without one.
nlohmann::ordered_json make_envelope(std::string_view id,
                                     std::string_view source);

/// Returns true when input holds a stream: its first byte is "{", or
/// it starts with a UTF-8 byte order mark (EF BB BF) and then "{", as a
/// stream saved by a Windows editor does; the mark is then skipped.
/// Anything else is left unread.
Result<bool> starts_stream(ByteReader& input);

/// Reads stream records one after another from a ByteReader.
class Reader {
public:
    Reader(ByteReader& input, const Limits& limits)
        : input_(input), limits_(limits) {}

    /// Returns the next record, nullopt at a clean end of input, or an
    /// error naming the record number and byte offset. A record over
    /// limits.message_bytes comes with its bytes unread (Record::unread);
    /// they are skipped unless copy_unread() takes them first.
    Result<std::optional<Record>> next();

    /// Passes the unread bytes of the last record to sink, a piece at a
    /// time.
    Status copy_unread(const std::function<void(std::string_view)>& sink);

    /// Returns true when the unread bytes of the last record are known
    /// to be there: the input is a regular file that holds them all.
    bool unread_present() const;

private:
    ByteReader& input_;
    const Limits& limits_;
    int record_number_ = 0;
    uint64_t unread_ = 0;
    /// Of the record whose bytes are unread, for an error about them.
    struct Unread {
        uint64_t size = 0;
        uint64_t record_offset = 0;
        uint64_t message_offset = 0;
    } unread_record_;
};

/// The deepest nesting of lists and objects an envelope may have.
inline constexpr int max_envelope_depth = 64;

/// Returns true when JSON text nests lists and objects deeper than
/// max_depth, counting only brackets outside strings.
bool nesting_exceeds(std::string_view json, int max_depth);

/// Parses and validates one envelope line; errors say what is wrong.
/// The size is not checked against a limit here: Reader passes a record
/// over the limit on unread.
Result<nlohmann::ordered_json> parse_envelope(std::string_view line);

/// Checks the types of the envelope fields the tools read: id, source
/// and received are strings, client an object whose ip is a string,
/// mail_from a string and rcpt a list of strings; and the earlier
/// verdicts, as check_verdicts does. The framing does not depend on
/// them, so a wrong type costs its record alone.
Status check_fields(const nlohmann::ordered_json& envelope);

/// Checks the envelope's earlier verdicts as every reader takes them
/// (verdict.md): a list of objects, each field of the schema, and those
/// of mime-split that report counts, of its type; a string tool and a
/// known action in each, and in each entry of its rcpt. The error names
/// the first field at fault, a wrong type before a missing decision.
Status check_verdicts(const nlohmann::ordered_json& envelope);

/// Serialises a record: envelope with `size` set, LF, then the message.
std::string serialize(Record& record);

/// Appends a verdict to the envelope's `verdicts` list.
void append_verdict(Record& record, nlohmann::ordered_json verdict);

/// Ends a string that was shortened to fit the line limit, followed by
/// how many bytes went and "bytes]": "name...[cut 1907 bytes]".
inline constexpr std::string_view cut_marker = "...[cut ";

/// Returns the length of the envelope written as one line, LF included.
size_t line_bytes(const nlohmann::ordered_json& envelope);

/// Shortens the verdicts until the envelope fits max_line_bytes as one
/// line: first their details (fields other than the decision: tool,
/// version, action, score, reasons, rcpt, effects), strings and lists
/// capped ever shorter and at last dropped, then the texts of reasons
/// and effects; each verdict cut says so in "cut". As a last resort the
/// last verdict becomes a tempfail without per-recipient actions.
/// Returns false when even that does not fit; the envelope is then cut
/// as far as it goes. See stream-format.md, Limits.
bool fit_envelope(nlohmann::ordered_json& envelope, size_t max_line_bytes);

} // namespace portcullis::stream
