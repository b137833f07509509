// Scanning both views. Contents are keyed by their bytes, so a part both
// parsers decoded alike costs one scan, and the same key tells which
// parts only one parser found.
#include "av_views.hpp"

#include <chrono>

#include <unordered_map>

namespace portcullis::av {

namespace {

struct Content {
    std::string_view data;
    std::vector<Sighting> seen;
    bool strict = false;
    bool lenient = false;
};

class Catalogue {
public:
    void add(std::string_view data, Sighting sighting) {
        auto [it, fresh] = index_.try_emplace(data, contents_.size());
        if (fresh)
            contents_.push_back({data, {}, false, false});
        Content& content = contents_[it->second];
        content.strict = content.strict || sighting.view == "strict";
        content.lenient = content.lenient || sighting.view == "lenient";
        content.seen.push_back(std::move(sighting));
    }

    const std::vector<Content>& contents() const { return contents_; }

private:
    std::unordered_map<std::string_view, size_t> index_;
    std::vector<Content> contents_;
};

int severity(Outcome outcome) {
    switch (outcome) {
    case Outcome::infected:
        return 3;
    case Outcome::encrypted:
        return 2;
    case Outcome::scan_limit:
        return 1;
    case Outcome::clean:
        return 0;
    }
    return 0;
}

void catalogue_strict(const mime::Tree& tree, Catalogue& catalogue) {
    for (const mime::Part& part : tree.parts) {
        if (part.is_multipart || part.is_message || part.decoded.empty())
            continue;
        catalogue.add(part.decoded,
                      {"strict", part.path, part.display_name(), {}});
    }
}

void catalogue_lenient(const mime::lenient::Tree& tree, Catalogue& catalogue) {
    for (size_t i = 0; i < tree.parts.size(); ++i) {
        const auto& part = tree.parts[i];
        if (!part.is_leaf() || part.decoded.empty())
            continue;
        catalogue.add(part.decoded, {"lenient", part.path, part.filename, i});
    }
}

// Both parsers found a leaf at this place under this name: the views
// agree that the part exists and only decode it differently.
bool same_place_in_other_view(const Catalogue& catalogue,
                              const Sighting& sighting) {
    for (const Content& other : catalogue.contents()) {
        for (const Sighting& s : other.seen) {
            if (s.view != sighting.view && s.view != "raw" &&
                s.part == sighting.part && s.filename == sighting.filename)
                return true;
        }
    }
    return false;
}

void note_gaps(const Catalogue& catalogue, Scan& scan) {
    if (!scan.strict)
        return;
    for (const Content& content : catalogue.contents()) {
        if (content.strict == content.lenient)
            continue;
        const Sighting& only = content.seen.front();
        if (same_place_in_other_view(catalogue, only))
            scan.decode_differences.push_back(only);
        else
            scan.gaps.push_back({only, content.data.size()});
    }
}

// A MIME limit stops a view from seeing everything: that is a scan_limit
// finding, never a silent pass.
void note_parse_limits(Scan& scan) {
    auto add = [&](const char* view, const char* what) {
        scan.findings.push_back(
            {{Outcome::scan_limit, what}, {{view, "", "", {}}}});
        scan.parse_limit_hit = true;
    };
    if (scan.lenient.limit_hit)
        add("lenient", "Portcullis.Limits.MIME");
    if (scan.strict && scan.strict->limit_hit)
        add("strict", "Portcullis.Limits.MIME");
    // A multipart whose body holds more than blank lines, yet no
    // delimiter of its boundary: neither view, nor libclamav's own
    // parser, read what a reader that splits it otherwise would show
    // ("boundary=B C" read as "B", a multipart in base64).
    if (scan.strict && scan.strict->has_anomaly("MIME_MULTIPART_NO_PARTS"))
        add("strict", "Portcullis.MIME.NoPartsFound");
}

} // namespace

Outcome Scan::outcome() const {
    Outcome worst = Outcome::clean;
    for (const Finding& f : findings) {
        if (severity(f.result.outcome) > severity(worst))
            worst = f.result.outcome;
    }
    return worst;
}

Scan parse_message(std::string_view message, const Limits& limits) {
    Scan scan;
    scan.lenient = mime::lenient::parse(message, limits);
    auto strict = mime::parse(message, limits);
    if (strict)
        scan.strict = std::move(*strict);
    else
        scan.strict_error = strict.error().text();
    return scan;
}

// libclamav bounds each scan; this bounds their sum, so a message of
// many slow parts ends in a verdict rather than the watchdog. libclamav
// reads its clock only between steps, so one large buffer can finish
// past the limit: that too is a limit reached, whatever it found.
Status scan_parsed(const Engine& engine, std::string_view message,
                   uint32_t scan_time_ms, Scan& scan) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(scan_time_ms);
    auto raw = engine.scan(message, ScanMode::whole_message);
    if (!raw)
        return raw.error();
    if (raw->outcome != Outcome::clean)
        scan.findings.push_back({*raw, {{"raw", "", "", {}}}});

    Catalogue catalogue;
    if (scan.strict)
        catalogue_strict(*scan.strict, catalogue);
    catalogue_lenient(scan.lenient, catalogue);
    note_gaps(catalogue, scan);
    for (const Content& content : catalogue.contents()) {
        if (std::chrono::steady_clock::now() > deadline)
            break;
        auto result = engine.scan(content.data, ScanMode::content);
        if (!result)
            return result.error();
        if (result->outcome != Outcome::clean)
            scan.findings.push_back({*result, content.seen});
    }
    if (std::chrono::steady_clock::now() > deadline)
        scan.findings.push_back(
            {{Outcome::scan_limit, "Portcullis.Limits.MessageScanTime"},
             {{"raw", "", "", {}}}});
    note_parse_limits(scan);
    return {};
}

} // namespace portcullis::av
