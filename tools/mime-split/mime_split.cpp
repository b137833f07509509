// mime-split: each message's MIME tree, anomalies and attachments as a
// verdict. In stream mode the message passes on unchanged. Each message
// is parsed under the watchdog: a parse that never returns ends the run
// with exit 75, so the mail server retries instead of waiting forever.
#include "mime_split.hpp"

#include "core/digest.hpp"
#include "core/log.hpp"
#include "mail/anomalies.hpp"
#include "mail/filename.hpp"
#include "mail/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace portcullis::mime_split {

using nlohmann::ordered_json;

namespace {

constexpr const char* tool_name = "mime-split";

// Appends a field to an object under construction. The keys written here
// are distinct, so ordered_json's search for an existing key (a string
// compare per field already present) is not needed.
template <class Value>
void put(ordered_json& object, const char* key, Value&& value) {
    object.get_ref<ordered_json::object_t&>().emplace_back(
        key, std::forward<Value>(value));
}

// Writes a file name, and beside it an escaped form when it holds
// characters a reader cannot see (bidi controls, NUL, zero-width).
void put_name(ordered_json& out, const std::string& key,
              const std::string& value, const std::string& raw) {
    if (value.empty())
        return;
    put(out, key.c_str(), value);
    if (mime::has_hidden_characters(value))
        put(out, (key + "_escaped").c_str(), mime::escape_hidden(value));
    if (!raw.empty())
        put(out, (key + "_raw").c_str(), raw);
}

ordered_json describe_part(const mime::Part& part) {
    ordered_json out = ordered_json::object();
    put(out, "path", part.path);
    put(out, "depth", part.depth);
    put(out, "content_type", part.content_type);
    if (!part.declared_type.empty())
        put(out, "declared_type", part.declared_type);
    if (!part.charset.empty())
        put(out, "charset", part.charset);
    if (!part.transfer_encoding.empty())
        put(out, "transfer_encoding", part.transfer_encoding);
    if (!part.disposition.empty())
        put(out, "disposition", part.disposition);
    put_name(out, "filename", part.filename, part.filename_raw);
    put_name(out, "name", part.name, part.name_raw);
    if (!part.legacy_names.empty())
        put(out, "legacy_names", part.legacy_names);
    if (!part.other_names.empty())
        put(out, "other_names", part.other_names);
    if (!part.boundary.empty())
        put(out, "boundary", part.boundary);
    if (part.origin != mime::Origin::mime)
        put(out, "origin", mime::to_string(part.origin));
    if (!part.is_multipart && !part.is_message) {
        put(out, "size", part.decoded.size());
        put(out, "sha256", digest::sha256_hex(part.decoded));
    }
    if (part.is_attachment)
        put(out, "attachment", true);
    if (!part.anomalies.empty())
        put(out, "anomalies", part.anomalies);
    return out;
}

// Every name an attachment goes by: the filename and, when they differ,
// the other values given for it, the Content-Type name and the legacy
// names, since readers disagree on which one wins.
void add_names(ordered_json& names, const mime::Part& part) {
    std::vector<const std::string*> all = {&part.filename};
    for (const std::string& other : part.other_names)
        all.push_back(&other);
    all.push_back(&part.name);
    for (const std::string& legacy : part.legacy_names)
        all.push_back(&legacy);
    for (const std::string* name : all) {
        if (name->empty())
            continue;
        if (std::find(names.begin(), names.end(), *name) == names.end())
            names.push_back(*name);
    }
}

// Anomalies after which two readers see different messages, or after
// which part of the message was never read: what one reader shows may be
// what no scanner saw, so the message cannot pass unseen.
bool hides_a_reading(const mime::Anomaly& anomaly) {
    auto kind = mime::anomaly_kind(anomaly.id);
    return kind && *kind != mime::AnomalyKind::notice;
}

std::string reason_text(const mime::Anomaly& anomaly) {
    if (anomaly.part.empty())
        return anomaly.detail;
    if (anomaly.detail.empty())
        return "part " + anomaly.part;
    return "part " + anomaly.part + ": " + anomaly.detail;
}

bool cut_at_decoded_limit(const mime::Part& part) {
    return std::find(part.anomalies.begin(), part.anomalies.end(),
                     "DECODED_SIZE_LIMIT") != part.anomalies.end();
}

// Writes each attachment. A part cut at the decoded-size limit is not
// written under its name as if whole, and an attached message is not a
// file of its own (the attachments inside it are written): both are
// listed in skipped with the reason. When a write fails, the files this
// message already got are removed, so a retry starts clean rather than
// leaving files the verdict never named.
Status extract(ExtractDir& dir, const mime::Tree& tree,
               verdict::Verdict& verdict, ordered_json& extracted,
               ordered_json& skipped) {
    std::vector<std::string> written;
    for (const mime::Part& part : tree.parts) {
        if (!part.is_attachment || part.is_multipart)
            continue;
        if (part.is_message || cut_at_decoded_limit(part)) {
            ordered_json entry;
            entry["part"] = part.path;
            entry["name"] = part.display_name();
            entry["why"] =
                part.is_message ? "attached message" : "DECODED_SIZE_LIMIT";
            skipped.push_back(std::move(entry));
            continue;
        }
        auto path = dir.write(part.display_name(), part.decoded);
        if (!path) {
            for (const std::string& done : written)
                dir.remove(done);
            return path.error();
        }
        written.push_back(*path);
        ordered_json entry;
        entry["part"] = part.path;
        entry["path"] = *path;
        entry["size"] = part.decoded.size();
        extracted.push_back(entry);
    }
    for (const std::string& path : written)
        verdict.add_effect({{"extracted", path}});
    return {};
}

} // namespace

ordered_json describe(const mime::Tree& tree) {
    ordered_json parts = ordered_json::array();
    ordered_json attachments = ordered_json::array();
    for (const mime::Part& part : tree.parts) {
        parts.push_back(describe_part(part));
        if (part.is_attachment)
            add_names(attachments, part);
    }
    ordered_json anomalies = ordered_json::array();
    for (const mime::Anomaly& anomaly : tree.anomalies) {
        ordered_json entry;
        entry["id"] = anomaly.id;
        if (!anomaly.part.empty())
            entry["part"] = anomaly.part;
        if (!anomaly.detail.empty())
            entry["detail"] = anomaly.detail;
        anomalies.push_back(std::move(entry));
    }
    ordered_json out;
    out["parts"] = std::move(parts);
    out["attachments"] = std::move(attachments);
    out["anomalies"] = std::move(anomalies);
    if (!tree.subject.empty())
        out["subject"] = tree.subject;
    return out;
}

namespace {

// The --headers form's one field: the action, then the anomalies by id,
// each once, so that a procmail or Sieve rule can act on either.
std::pair<std::string, std::string> mime_field(const verdict::Verdict& verdict,
                                               const mime::Tree* tree) {
    std::string value(verdict::to_string(verdict.action()));
    std::vector<std::string> ids;
    if (!tree) {
        ids.push_back("MIME_PARSE_FAILED");
    } else {
        for (const mime::Anomaly& anomaly : tree->anomalies) {
            if (std::find(ids.begin(), ids.end(), anomaly.id) == ids.end())
                ids.push_back(anomaly.id);
        }
    }
    for (size_t i = 0; i < ids.size(); ++i)
        value += (i == 0 ? "; anomalies=" : ",") + ids[i];
    return {"X-Portcullis-MIME", value};
}

} // namespace

Result<filter::Outcome> handle(const Options& options, stream::Record& record,
                               ExtractDir* dir) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    auto tree = mime::parse(record.message, options.common.limits);
    if (!tree) {
        // What cannot be parsed cannot be policed: hold it for a person.
        verdict.add_reason({"MIME_PARSE_FAILED", 0, tree.error().text()});
        verdict.escalate(verdict::Action::quarantine);
        return filter::Outcome{verdict.to_json(),
                               {mime_field(verdict, nullptr)}};
    }
    for (const mime::Anomaly& anomaly : tree->anomalies) {
        verdict.add_reason({anomaly.id, 0, reason_text(anomaly)});
        if (hides_a_reading(anomaly))
            verdict.escalate(verdict::Action::quarantine);
    }
    if (tree->limit_hit)
        verdict.escalate(verdict::Action::quarantine);
    verdict.extra() = describe(*tree);
    if (dir) {
        ordered_json extracted = ordered_json::array();
        ordered_json skipped = ordered_json::array();
        Status written = extract(*dir, *tree, verdict, extracted, skipped);
        if (!written)
            return written.error();
        verdict.extra()["extracted"] = std::move(extracted);
        if (!skipped.empty())
            verdict.extra()["not_extracted"] = std::move(skipped);
    }
    return filter::Outcome{verdict.to_json(), {mime_field(verdict, &*tree)}};
}

ExitCode run(const Options& options) {
    std::optional<ExtractDir> dir;
    if (!options.extract_dir.empty()) {
        auto opened = ExtractDir::open(options.extract_dir);
        if (!opened) {
            log::error(opened.error().text());
            return opened.error().exit_code;
        }
        dir.emplace(std::move(*opened));
    }
    return filter::run(options.common, tool_name, [&](stream::Record& record) {
        return handle(options, record, dir ? &*dir : nullptr);
    });
}

} // namespace portcullis::mime_split
