// Keeping an envelope line within the line limit. Every reader refuses a
// longer line as garbled and stops reading its input, so a writer that
// wrote one would lose every record after it (stream-format.md, Limits).
#include "core/stream.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace portcullis::stream {

using nlohmann::ordered_json;

namespace {

// The fields that carry a verdict's decision, or say it was cut; what
// else a tool writes (mime-split's parts, policy-check's rules) is
// detail, shortened first.
bool is_decision(std::string_view key) {
    static constexpr std::array<std::string_view, 9> keys = {
        "tool", "version", "action", "score",     "reasons",
        "rcpt", "effects", "cut",    "elapsed_us"};
    for (std::string_view k : keys) {
        if (k == key)
            return true;
    }
    return false;
}

// What one pass of cutting left out, summed over a verdict.
struct Cuts {
    uint64_t strings = 0;
    uint64_t items = 0;
    std::vector<std::string> fields;
};

// Keeps at most max_bytes of text, not splitting a UTF-8 sequence, and
// says how much went.
void cut_string(ordered_json& value, size_t max_bytes, Cuts& cuts) {
    // The marker takes room too: a cut that saves less than it is none.
    constexpr size_t marker_room = 32;
    auto& text = value.get_ref<std::string&>();
    if (text.size() <= max_bytes + marker_room)
        return;
    size_t keep = max_bytes;
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80)
        --keep;
    size_t cut = text.size() - keep;
    text.resize(keep);
    text += fmt::format("{}{} bytes]", cut_marker, cut);
    ++cuts.strings;
}

struct Caps {
    size_t string_bytes;
    size_t list_items;
};

void cut_value(ordered_json& value, const Caps& caps, Cuts& cuts) {
    if (value.is_string()) {
        cut_string(value, caps.string_bytes, cuts);
        return;
    }
    if (value.is_array() && value.size() > caps.list_items) {
        cuts.items += value.size() - caps.list_items;
        auto& list = value.get_ref<ordered_json::array_t&>();
        list.resize(caps.list_items);
    }
    // An object's fields are kept, each shortened: a part without its
    // filename would be another part, where a shorter list of parts is
    // the same list, cut.
    if (value.is_array() || value.is_object()) {
        for (auto& child : value)
            cut_value(child, caps, cuts);
    }
}

// Adds what was cut to the verdict's "cut" object, which an earlier
// writer may have started.
void note_cuts(ordered_json& verdict, const Cuts& cuts) {
    if (cuts.strings == 0 && cuts.items == 0 && cuts.fields.empty())
        return;
    ordered_json& cut = verdict["cut"];
    if (!cut.is_object())
        cut = {{"strings", 0}, {"items", 0}, {"fields", ordered_json::array()}};
    auto add = [&](const char* key, uint64_t n) {
        uint64_t before =
            cut[key].is_number_unsigned() ? cut[key].get<uint64_t>() : 0;
        cut[key] = before + n;
    };
    add("strings", cuts.strings);
    add("items", cuts.items);
    if (!cut["fields"].is_array())
        cut["fields"] = ordered_json::array();
    for (const std::string& field : cuts.fields)
        cut["fields"].push_back(field);
}

// Keeps the decision fields of a verdict, in their order, and names the
// others in cuts. The object is rebuilt in one pass: erasing fields one
// at a time shifts the rest each time, quadratic in their number (51 s
// for the 96,000 that fit a 1 MiB line).
void drop_details(ordered_json& verdict, Cuts& cuts) {
    auto& fields = verdict.get_ref<ordered_json::object_t&>();
    ordered_json::object_t kept;
    for (auto& [key, value] : fields) {
        if (is_decision(key))
            kept.emplace_back(key, std::move(value));
        else
            cuts.fields.push_back(key);
    }
    fields.swap(kept);
}

// Caps every detail of a verdict; with no caps, drops the details.
void cut_details(ordered_json& verdict, const Caps* caps) {
    Cuts cuts;
    if (caps) {
        for (auto& [key, value] : verdict.items()) {
            if (!is_decision(key))
                cut_value(value, *caps, cuts);
        }
    } else {
        drop_details(verdict, cuts);
    }
    note_cuts(verdict, cuts);
}

// Shortens the text of each reason and the strings of each effect; their
// ids, scores and actions stay.
void cut_reason_texts(ordered_json& verdict, size_t max_bytes) {
    Cuts cuts;
    for (const char* key : {"reasons", "effects"}) {
        auto list = verdict.find(key);
        if (list == verdict.end() || !list->is_array())
            continue;
        for (auto& entry : *list) {
            if (!entry.is_object())
                continue;
            for (auto& [field, value] : entry.items()) {
                if (value.is_string() && field != "id" && field != "type")
                    cut_string(value, max_bytes, cuts);
            }
        }
    }
    note_cuts(verdict, cuts);
}

// The last resort for the verdict being written: per-recipient actions
// that cannot be carried give way to tempfail, the most severe action,
// so no recipient is delivered more leniently than it was judged.
void fail_verdict(ordered_json& verdict, size_t max_line_bytes) {
    verdict["action"] = "tempfail";
    verdict.erase("rcpt");
    verdict.erase("effects");
    if (!verdict["reasons"].is_array())
        verdict["reasons"] = ordered_json::array();
    verdict["reasons"].push_back(
        {{"id", "ENVELOPE_TOO_LONG"},
         {"score", 0},
         {"text", fmt::format("the verdict does not fit the envelope line "
                              "limit envelope_line_bytes={}",
                              max_line_bytes)}});
}

// Applies step to every verdict of the envelope, or to the last alone.
template <typename Step>
void for_verdicts(ordered_json& envelope, bool last_only, Step step) {
    auto verdicts = envelope.find("verdicts");
    if (verdicts == envelope.end() || !verdicts->is_array() ||
        verdicts->empty())
        return;
    if (last_only) {
        if (verdicts->back().is_object())
            step(verdicts->back());
        return;
    }
    for (auto& verdict : *verdicts) {
        if (verdict.is_object())
            step(verdict);
    }
}

} // namespace

size_t line_bytes(const ordered_json& envelope) {
    return envelope
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
               .size() +
           1;
}

bool fit_envelope(ordered_json& envelope, size_t max_line_bytes) {
    if (line_bytes(envelope) <= max_line_bytes)
        return true;
    // Once cutting, leave room for the verdicts of the filters after this
    // one, so that each of them does not cut again.
    size_t target = max_line_bytes - max_line_bytes / 4;
    static constexpr std::array<Caps, 5> ladder = {{
        {4096, 1024},
        {1024, 256},
        {256, 64},
        {64, 16},
        {16, 4},
    }};
    const ordered_json original = envelope;
    for (const Caps& caps : ladder) {
        envelope = original;
        // Reason texts are cut as far as the details, never further
        // than 64 bytes, before any detail is dropped whole.
        for_verdicts(envelope, false, [&](ordered_json& v) {
            cut_details(v, &caps);
            cut_reason_texts(v, std::max<size_t>(caps.string_bytes, 64));
        });
        if (line_bytes(envelope) <= target)
            return true;
    }
    envelope = original;
    for_verdicts(envelope, false,
                 [](ordered_json& v) { cut_details(v, nullptr); });
    if (line_bytes(envelope) <= max_line_bytes)
        return true;
    for_verdicts(envelope, false,
                 [](ordered_json& v) { cut_reason_texts(v, 64); });
    if (line_bytes(envelope) <= max_line_bytes)
        return true;
    for_verdicts(envelope, true,
                 [&](ordered_json& v) { fail_verdict(v, max_line_bytes); });
    return line_bytes(envelope) <= max_line_bytes;
}

} // namespace portcullis::stream
