// What an earlier verdict in a record must be for a reader to trust it.
// Every filter and report check verdicts here, so a stream one of them
// takes is never one the next refuses (verdict.md, What readers check).
#include "core/stream.hpp"
#include "mail/verdict.hpp"

#include <fmt/format.h>

#include <span>

namespace portcullis::stream {

using nlohmann::ordered_json;

namespace {

Error wrong(const std::string& where, std::string_view what) {
    return Error{"", fmt::format("\"{}\" is {}", where, what)};
}

using Test = bool (*)(const ordered_json&);

bool is_string(const ordered_json& v) {
    return v.is_string();
}
bool is_number(const ordered_json& v) {
    return v.is_number();
}
bool is_boolean(const ordered_json& v) {
    return v.is_boolean();
}

// A count of microseconds: a negative or fractional one would wrap or
// truncate when summed.
bool is_count(const ordered_json& v) {
    return v.is_number_unsigned() ||
           (v.is_number_integer() && v.get<int64_t>() >= 0);
}

// One field a verdict or an entry in it may hold, and its type.
struct Field {
    const char* key;
    Test test;
    const char* type_name;
};

constexpr Field string_field(const char* key) {
    return {key, is_string, "not a string"};
}

// Checks the fields of object that are present; absent ones are fine.
Status expect_fields(const ordered_json& object, const std::string& where,
                     std::span<const Field> fields) {
    for (const Field& field : fields) {
        auto it = object.find(field.key);
        if (it != object.end() && !field.test(*it))
            return wrong(where + field.key, field.type_name);
    }
    return {};
}

// Checks that key, when present, is a list of objects of those fields.
Status expect_list(const ordered_json& verdict, const std::string& where,
                   const char* key, std::span<const Field> fields) {
    auto list = verdict.find(key);
    if (list == verdict.end())
        return {};
    if (!list->is_array())
        return wrong(where + key, "not a list");
    for (size_t i = 0; i < list->size(); ++i) {
        std::string at = fmt::format("{}{}[{}]", where, key, i);
        if (!(*list)[i].is_object())
            return wrong(at, "not an object");
        if (Status s = expect_fields((*list)[i], at + ".", fields); !s)
            return s;
    }
    return {};
}

// Per-recipient entries are named by position: an address may hold
// anything, and it is not repeated in a diagnostic.
Status expect_rcpt_types(const ordered_json& verdict,
                         const std::string& where) {
    auto rcpt = verdict.find("rcpt");
    if (rcpt == verdict.end())
        return {};
    if (!rcpt->is_object())
        return wrong(where + "rcpt", "not an object");
    size_t n = 0;
    for (const ordered_json& entry : *rcpt) {
        std::string at = fmt::format("{}rcpt[{}]", where, n++);
        if (!entry.is_object())
            return wrong(at, "not an object");
        static constexpr Field action[] = {string_field("action")};
        if (Status s = expect_fields(entry, at + ".", action); !s)
            return s;
    }
    return {};
}

// The types of the fields verdict.md gives every verdict, and of those
// of mime-split's that report counts.
Status expect_types(const ordered_json& verdict, const std::string& where) {
    static constexpr Field fields[] = {
        string_field("tool"),
        string_field("version"),
        string_field("action"),
        {"score", is_number, "not a number"},
        {"elapsed_us", is_count, "not a non-negative integer"},
    };
    static constexpr Field reason[] = {
        string_field("id"),
        {"score", is_number, "not a number"},
        string_field("text"),
    };
    static constexpr Field anomaly[] = {string_field("id")};
    static constexpr Field part[] = {
        {"attachment", is_boolean, "not true or false"},
        string_field("filename"),
        string_field("name"),
        string_field("content_type"),
    };
    if (Status s = expect_fields(verdict, where, fields); !s)
        return s;
    if (Status s = expect_list(verdict, where, "reasons", reason); !s)
        return s;
    if (Status s = expect_rcpt_types(verdict, where); !s)
        return s;
    if (Status s = expect_list(verdict, where, "effects", {}); !s)
        return s;
    if (Status s = expect_list(verdict, where, "anomalies", anomaly); !s)
        return s;
    return expect_list(verdict, where, "parts", part);
}

Status expect_action(const ordered_json& holder, const std::string& where) {
    auto action = holder.find("action");
    if (action == holder.end())
        return wrong(where + "action", "missing");
    if (!verdict::parse_action(action->get_ref<const std::string&>()))
        return wrong(where + "action", "not tempfail, reject, discard, "
                                       "quarantine, redirect, folder, tag "
                                       "or pass");
    return {};
}

// Once the types are right: who decided, and what, for the message and
// for each recipient named.
Status expect_decision(const ordered_json& verdict, const std::string& where) {
    if (!verdict.contains("tool"))
        return wrong(where + "tool", "missing");
    if (Status s = expect_action(verdict, where); !s)
        return s;
    auto rcpt = verdict.find("rcpt");
    if (rcpt == verdict.end())
        return {};
    size_t n = 0;
    for (const ordered_json& entry : *rcpt) {
        std::string at = fmt::format("{}rcpt[{}].", where, n++);
        if (Status s = expect_action(entry, at); !s)
            return s;
    }
    return {};
}

} // namespace

Status check_verdicts(const ordered_json& envelope) {
    auto verdicts = envelope.find("verdicts");
    if (verdicts == envelope.end())
        return {};
    if (!verdicts->is_array())
        return wrong("verdicts", "not a list");
    // Every type first, in every verdict, so that a value of the wrong
    // type is named as such rather than as a missing decision.
    for (size_t i = 0; i < verdicts->size(); ++i) {
        const ordered_json& verdict = (*verdicts)[i];
        if (!verdict.is_object())
            return wrong(fmt::format("verdicts[{}]", i), "not an object");
        if (Status s = expect_types(verdict, fmt::format("verdicts[{}].", i));
            !s)
            return s;
    }
    for (size_t i = 0; i < verdicts->size(); ++i) {
        std::string where = fmt::format("verdicts[{}].", i);
        if (Status s = expect_decision((*verdicts)[i], where); !s)
            return s;
    }
    return {};
}

} // namespace portcullis::stream
