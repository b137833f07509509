// Type checks for what report reads. Records come from any producer, a
// hand-edited file included: a number where a string belongs must be an
// input error naming the field, never an exception that ends the run.
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

Status read_bool(const ordered_json& object, std::string_view path,
                 const char* key, bool& out) {
    auto it = object.find(key);
    if (it == object.end())
        return {};
    if (!it->is_boolean())
        return wrong_type(path, key, "true or false");
    out = it->get<bool>();
    return {};
}

// Returns the list under key (empty when absent) once every entry is
// known to be an object.
Result<std::vector<const ordered_json*>>
read_objects(const ordered_json& object, std::string_view path,
             const char* key) {
    std::vector<const ordered_json*> out;
    auto it = object.find(key);
    if (it == object.end())
        return out;
    if (!it->is_array())
        return wrong_type(path, key, "a list");
    for (const ordered_json& entry : *it) {
        if (!entry.is_object())
            return wrong_type(path, fmt::format("{}[{}]", key, out.size()),
                              "an object");
        out.push_back(&entry);
    }
    return out;
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

// Reasons and anomalies are both lists of objects named by "id".
Status read_ids(const ordered_json& verdict, const std::string& path,
                const char* key, std::vector<std::string>& out) {
    auto list = read_objects(verdict, path, key);
    if (!list)
        return list.error();
    for (size_t i = 0; i < list->size(); ++i) {
        std::string id = "?";
        auto where = fmt::format("{}{}[{}].", path, key, i);
        if (Status s = read_string(*(*list)[i], where, "id", id); !s)
            return s;
        out.push_back(std::move(id));
    }
    return {};
}

// An attachment is counted by its type and, when its name has one, its
// extension: "application/pdf .pdf".
Status read_attachments(const ordered_json& verdict, const std::string& path,
                        std::vector<std::string>& out) {
    auto parts = read_objects(verdict, path, "parts");
    if (!parts)
        return parts.error();
    for (size_t i = 0; i < parts->size(); ++i) {
        const ordered_json& part = *(*parts)[i];
        auto where = fmt::format("{}parts[{}].", path, i);
        bool attachment = false;
        std::string name, filename, type = "?";
        if (Status s = read_bool(part, where, "attachment", attachment); !s)
            return s;
        if (Status s = read_string(part, where, "name", name); !s)
            return s;
        if (Status s = read_string(part, where, "filename", filename); !s)
            return s;
        if (Status s = read_string(part, where, "content_type", type); !s)
            return s;
        if (!attachment)
            continue;
        const std::string& shown = part.contains("filename") ? filename : name;
        // A name cut to fit the line limit lost its end, extension too.
        std::string ext = shown.find(stream::cut_marker) == std::string::npos
                              ? extension_of(shown)
                              : "";
        out.push_back(ext.empty() ? type : type + " " + ext);
    }
    return {};
}

// "rcpt" maps each recipient whose action differs from the message's to
// {"action": ...}. Entries are named by position: an address may hold
// anything, and it is not repeated in a diagnostic.
Status read_rcpt(const ordered_json& verdict, const std::string& path,
                 std::vector<std::string>& out) {
    auto it = verdict.find("rcpt");
    if (it == verdict.end())
        return {};
    if (!it->is_object())
        return wrong_type(path, "rcpt", "an object");
    for (const auto& [address, entry] : it->items()) {
        auto where = fmt::format("{}rcpt[{}]", path, out.size());
        if (!entry.is_object())
            return wrong_type(where, "", "an object");
        std::string action = "?";
        if (Status s = read_string(entry, where + ".", "action", action); !s)
            return s;
        out.push_back(std::move(action));
    }
    return {};
}

Result<VerdictFacts> read_verdict(const ordered_json& verdict,
                                  const std::string& path) {
    VerdictFacts facts;
    if (Status s = read_string(verdict, path, "tool", facts.tool); !s)
        return s.error();
    if (Status s = read_string(verdict, path, "action", facts.action); !s)
        return s.error();
    if (Status s = read_rcpt(verdict, path, facts.rcpt_actions); !s)
        return s.error();
    if (Status s = read_count(verdict, path, "elapsed_us", facts.elapsed_us);
        !s)
        return s.error();
    if (Status s = read_ids(verdict, path, "reasons", facts.reason_ids); !s)
        return s.error();
    if (Status s = read_ids(verdict, path, "anomalies", facts.anomaly_ids); !s)
        return s.error();
    if (Status s = read_attachments(verdict, path, facts.attachment_types); !s)
        return s.error();
    return facts;
}

// A verdict without an action, or with one no tool gives ("Reject"),
// judged the message in a way report cannot count: taken as no verdict
// it made the message "unjudged", and an alert on reject never fired.
// Checked once every field has its type, so a wrong type is named first.
// The same holds for a recipient's action: a reject for one recipient
// read as nothing would leave the message a pass.
Status check_one_action(const ordered_json& holder, const std::string& where,
                        const std::string& action) {
    if (!holder.contains("action"))
        return Error{"", fmt::format("\"{}action\" is missing", where)};
    if (!verdict::parse_action(action))
        return Error{"", fmt::format("\"{}action\" is not tempfail, reject, "
                                     "discard, quarantine, redirect, folder, "
                                     "tag or pass",
                                     where)};
    return {};
}

Status check_action(const ordered_json& verdict, size_t index,
                    const VerdictFacts& facts) {
    std::string where = fmt::format("verdicts[{}].", index);
    if (Status s = check_one_action(verdict, where, facts.action); !s)
        return s;
    auto rcpt = verdict.find("rcpt");
    if (rcpt == verdict.end())
        return {};
    size_t n = 0;
    for (const ordered_json& entry : *rcpt) {
        auto at = fmt::format("{}rcpt[{}].", where, n);
        if (Status s = check_one_action(entry, at, facts.rcpt_actions[n]); !s)
            return s;
        ++n;
    }
    return {};
}

Status read_verdicts(const ordered_json& envelope, RecordFacts& facts) {
    auto verdicts = read_objects(envelope, "", "verdicts");
    if (!verdicts)
        return verdicts.error();
    for (size_t i = 0; i < verdicts->size(); ++i) {
        auto verdict =
            read_verdict(*(*verdicts)[i], fmt::format("verdicts[{}].", i));
        if (!verdict)
            return verdict.error();
        facts.verdicts.push_back(std::move(*verdict));
    }
    for (size_t i = 0; i < verdicts->size(); ++i) {
        if (Status s = check_action(*(*verdicts)[i], i, facts.verdicts[i]); !s)
            return s;
    }
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
