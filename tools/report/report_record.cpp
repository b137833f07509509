// Type checks for what report reads. Records come from any producer, a
// hand-edited file included: a number where a string belongs must be an
// input error naming the field, never an exception that ends the run.
// Verdicts are checked as the filters check them (stream_verdicts.cpp).
#include "report_record.hpp"

#include "core/stream.hpp"
#include "mail/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace portcullis::report {

using nlohmann::ordered_json;

namespace {

Error wrong_type(std::string_view path, std::string_view key,
                 std::string_view what) {
    return Error{"", fmt::format("\"{}{}\" is not {}", path, key, what)};
}

// A count of bytes or microseconds: a negative, fractional or too large
// number would wrap or truncate when summed.
bool is_count(const ordered_json& value) {
    return value.is_number_unsigned() ||
           (value.is_number_integer() && value.get<int64_t>() >= 0);
}

// Each read_* leaves out unchanged when the field is absent: producers
// leave out what does not apply to them.
Status read_string(const ordered_json& object, std::string_view path,
                   const char* key, std::string& out) {
    auto it = object.find(key);
    if (it == object.end())
        return {};
    if (!it->is_string())
        return wrong_type(path, key, "a string");
    out = it->get<std::string>();
    return {};
}

Status read_count(const ordered_json& object, std::string_view path,
                  const char* key, uint64_t& out) {
    auto it = object.find(key);
    if (it == object.end())
        return {};
    if (!is_count(*it))
        return wrong_type(path, key, "a non-negative integer");
    out = it->get<uint64_t>();
    return {};
}

std::string extension_of(const std::string& name) {
    size_t dot = name.find_last_of('.');
    if (dot == std::string::npos || dot + 1 == name.size())
        return "";
    std::string ext = name.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return ext;
}

// The verdicts are checked (stream::check_verdicts) before any of these
// reads them, so each field read is of its type or absent.
std::string string_or(const ordered_json& object, const char* key,
                      std::string fallback) {
    auto it = object.find(key);
    return it == object.end() ? fallback : it->get<std::string>();
}

const ordered_json& list_or_empty(const ordered_json& object, const char* key) {
    static const ordered_json empty = ordered_json::array();
    auto it = object.find(key);
    return it == object.end() ? empty : *it;
}

// Reasons and anomalies are both lists of objects named by "id".
std::vector<std::string> ids_of(const ordered_json& verdict, const char* key) {
    std::vector<std::string> out;
    for (const ordered_json& entry : list_or_empty(verdict, key))
        out.push_back(string_or(entry, "id", "?"));
    return out;
}

// An attachment is counted by its type and, when its name has one, its
// extension: "application/pdf .pdf".
std::vector<std::string> attachments_of(const ordered_json& verdict) {
    std::vector<std::string> out;
    for (const ordered_json& part : list_or_empty(verdict, "parts")) {
        auto attachment = part.find("attachment");
        if (attachment == part.end() || !attachment->get<bool>())
            continue;
        std::string type = string_or(part, "content_type", "?");
        std::string shown = part.contains("filename")
                                ? string_or(part, "filename", "")
                                : string_or(part, "name", "");
        // A name cut to fit the line limit lost its end, extension too.
        std::string ext = shown.find(stream::cut_marker) == std::string::npos
                              ? extension_of(shown)
                              : "";
        out.push_back(ext.empty() ? type : type + " " + ext);
    }
    return out;
}

VerdictFacts facts_of(const ordered_json& verdict) {
    VerdictFacts facts;
    facts.tool = string_or(verdict, "tool", "?");
    facts.action = string_or(verdict, "action", "?");
    if (auto rcpt = verdict.find("rcpt"); rcpt != verdict.end()) {
        for (const ordered_json& entry : *rcpt)
            facts.rcpt_actions.push_back(string_or(entry, "action", "?"));
    }
    if (auto elapsed = verdict.find("elapsed_us"); elapsed != verdict.end()) {
        facts.elapsed_us = elapsed->get<uint64_t>();
        facts.timed = true;
    }
    facts.reason_ids = ids_of(verdict, "reasons");
    facts.anomaly_ids = ids_of(verdict, "anomalies");
    facts.attachment_types = attachments_of(verdict);
    // Every copy, filed in a Maildir or sent to a review address, is in
    // wiretap's effect; the record of an address copy is not counted
    // again.
    auto effects = verdict.find("effects");
    if (effects != verdict.end() && effects->is_array()) {
        for (const ordered_json& effect : *effects) {
            if (!effect.is_object() || !effect.contains("copies") ||
                effect.value("type", ordered_json()) != "wiretap")
                continue;
            const ordered_json& copies = effect["copies"];
            if (copies.is_number_unsigned())
                facts.wiretap_copies = saturating_add(facts.wiretap_copies,
                                                      copies.get<uint64_t>());
        }
    }
    return facts;
}

// A verdict report cannot count (an action no tool gives, "Reject", or
// none, taken as no verdict, made the message "unjudged" and an alert
// on reject never fired) is refused as the filters refuse it, by the
// one check they share, so a stream one takes the other takes too.
Status read_verdicts(const ordered_json& envelope, RecordFacts& facts) {
    if (Status s = stream::check_verdicts(envelope); !s)
        return s;
    for (const ordered_json& verdict : list_or_empty(envelope, "verdicts"))
        facts.verdicts.push_back(facts_of(verdict));
    return {};
}

// The kind comes from "error" and "source"; both are checked even on a
// plain message, since a wrong type there is as wrong as anywhere.
Status read_kind(const ordered_json& envelope, RecordFacts& facts) {
    std::string source;
    if (Status s = read_string(envelope, "", "source", source); !s)
        return s;
    if (Status s = read_string(envelope, "", "error", facts.error); !s)
        return s;
    if (envelope.contains("error"))
        facts.kind = RecordKind::error_line;
    else if (source == "wiretap")
        facts.kind = RecordKind::wiretap_copy;
    return {};
}

} // namespace

verdict::Action most_severe_action(const VerdictFacts& facts) {
    verdict::Action out =
        verdict::parse_action(facts.action).value_or(verdict::Action::pass);
    for (const std::string& action : facts.rcpt_actions)
        if (auto parsed = verdict::parse_action(action))
            out = verdict::most_severe(out, *parsed);
    return out;
}

bool is_record(const ordered_json& line) {
    return line.is_object() && line.contains("portcullis");
}

Result<uint64_t> message_size(const ordered_json& envelope) {
    auto version = envelope.find("portcullis");
    if (version == envelope.end() || !version->is_number_integer())
        return wrong_type("", "portcullis", "an integer");
    if (*version != stream::format_version)
        return Error{
            "", fmt::format("unsupported format version {}", version->dump())};
    uint64_t size = 0;
    if (Status s = read_count(envelope, "", "size", size); !s)
        return s.error();
    return size;
}

Result<RecordFacts> read_record(const ordered_json& envelope) {
    auto size = message_size(envelope);
    if (!size)
        return size.error();
    RecordFacts facts;
    facts.bytes = *size;
    // --json lines replace "size" with "bytes", as no message follows.
    if (Status s = read_count(envelope, "", "bytes", facts.bytes); !s)
        return s.error();
    if (Status s = read_string(envelope, "", "id", facts.id); !s)
        return s.error();
    if (Status s = read_string(envelope, "", "received", facts.received); !s)
        return s.error();
    if (Status s = read_kind(envelope, facts); !s)
        return s.error();
    if (Status s = read_verdicts(envelope, facts); !s)
        return s.error();
    return facts;
}

std::string id_of(const ordered_json& envelope) {
    auto id = envelope.find("id");
    if (id != envelope.end() && id->is_string())
        return id->get<std::string>();
    return "";
}

} // namespace portcullis::report
