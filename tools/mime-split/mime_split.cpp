// mime-split: each message's MIME tree, anomalies and attachments as a
// verdict. In stream mode the message passes on unchanged.
#include "mime_split.hpp"

#include "core/digest.hpp"
#include "mail/verdict.hpp"

namespace portcullis::mime_split {

using nlohmann::ordered_json;

namespace {

constexpr const char* tool_name = "mime-split";

ordered_json describe_part(const mime::Part& part) {
    ordered_json out;
    out["path"] = part.path;
    out["depth"] = part.depth;
    out["content_type"] = part.content_type;
    if (!part.declared_type.empty())
        out["declared_type"] = part.declared_type;
    if (!part.charset.empty())
        out["charset"] = part.charset;
    if (!part.transfer_encoding.empty())
        out["transfer_encoding"] = part.transfer_encoding;
    if (!part.disposition.empty())
        out["disposition"] = part.disposition;
    if (!part.filename.empty())
        out["filename"] = part.filename;
    if (!part.name.empty())
        out["name"] = part.name;
    if (part.origin != mime::Origin::mime)
        out["origin"] = mime::to_string(part.origin);
    if (!part.is_multipart && !part.is_message) {
        out["size"] = part.decoded.size();
        out["sha256"] = digest::sha256_hex(part.decoded);
    }
    if (part.is_attachment)
        out["attachment"] = true;
    if (!part.anomalies.empty())
        out["anomalies"] = part.anomalies;
    return out;
}

} // namespace

ordered_json describe(const mime::Tree& tree) {
    ordered_json parts = ordered_json::array();
    ordered_json attachments = ordered_json::array();
    for (const mime::Part& part : tree.parts) {
        parts.push_back(describe_part(part));
        if (part.is_attachment)
            attachments.push_back(part.display_name());
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
    return out;
}

Result<filter::Outcome> handle(const Options& options, stream::Record& record) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    auto tree = mime::parse(record.message, options.common.limits);
    if (!tree) {
        verdict.add_reason({"MIME_PARSE_FAILED", 0, tree.error().text()});
        return filter::Outcome{verdict.to_json(), {}};
    }
    for (const mime::Anomaly& anomaly : tree->anomalies)
        verdict.add_reason(
            {anomaly.id, 0,
             anomaly.part.empty()
                 ? anomaly.detail
                 : "part " + anomaly.part +
                       (anomaly.detail.empty() ? "" : ": " + anomaly.detail)});
    if (tree->limit_hit)
        verdict.escalate(verdict::Action::quarantine);
    verdict.extra() = describe(*tree);
    return filter::Outcome{verdict.to_json(), {}};
}

ExitCode run(const Options& options) {
    return filter::run(options.common, tool_name, [&](stream::Record& record) {
        return handle(options, record);
    });
}

} // namespace portcullis::mime_split
