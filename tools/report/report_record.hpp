// What report reads from one input line, checked. Every field report
// counts is type-checked here, once, so counting never meets a value of
// the wrong type, and a bad field costs its record, not the whole run.
#pragma once

#include "core/result.hpp"
#include "mail/verdict.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis::report {

/// What report counts from one verdict; absent fields keep these defaults.
struct VerdictFacts {
    std::string tool = "?";
    std::string action = "?";
    /// The per-recipient actions of "rcpt", in its order; the addresses
    /// are not kept, as report counts messages, not deliveries.
    std::vector<std::string> rcpt_actions;
    uint64_t elapsed_us = 0;
    bool timed = false; ///< the verdict gave elapsed_us
    std::vector<std::string> reason_ids;
    std::vector<std::string> attachment_types; ///< "type/subtype .ext"
    std::vector<std::string> anomaly_ids;
    /// Copies wiretap made of the message, as its effects say.
    uint64_t wiretap_copies = 0;
};

/// What a record stands for in the summary.
enum class RecordKind {
    message,      ///< a message with its verdicts
    error_line,   ///< a filter's note that it could not read an input
    wiretap_copy, ///< a review copy or notice that wiretap wrote
};

/// What report counts from one record.
struct RecordFacts {
    RecordKind kind = RecordKind::message;
    uint64_t bytes = 0;
    std::string id;       ///< empty when the record has none
    std::string error;    ///< the error line's text
    std::string received; ///< the envelope's arrival time, as written
    std::vector<VerdictFacts> verdicts;
};

/// Returns a + b, or 2^64-1 where that would wrap: a total past it can
/// only come from forged records, and a wrapped one would pass for a
/// plausible small one.
constexpr uint64_t saturating_add(uint64_t a, uint64_t b) {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/// Returns the most severe action a checked verdict gave the message or
/// any of its recipients.
verdict::Action most_severe_action(const VerdictFacts& verdict);

/// Returns true when a JSON line is a record, not a log line.
bool is_record(const nlohmann::ordered_json& line);

/// Checks the fields that frame a record (the format version and `size`)
/// and returns how many message bytes follow the envelope: 0 for a
/// --json line. An error here leaves the next record's start unknown.
Result<uint64_t> message_size(const nlohmann::ordered_json& envelope);

/// Reads the fields report counts; an error names the first bad field.
Result<RecordFacts> read_record(const nlohmann::ordered_json& envelope);

/// Returns the envelope's id when it is a string, else an empty string.
std::string id_of(const nlohmann::ordered_json& envelope);

} // namespace portcullis::report
