// Rule evaluation. Conditions are tried cheapest first (addresses, then
// headers, then body words, then attachments) and the first that fails
// ends the rule, so most rules cost a few comparisons per message.
#include "policy_engine.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::policy {

namespace {

using Why = std::vector<std::string>;

std::vector<std::string> field_addresses(const std::string& field,
                                         MessageFacts& message,
                                         const Context& context) {
    if (field == "sender")
        return {message.envelope().mail_from};
    if (field == "rcpt")
        return {context.rcpt};
    if (field != "recipients")
        return message.header_addresses(field);
    std::vector<std::string> out = message.envelope().rcpt;
    for (const char* header : {"to", "cc"}) {
        const auto& list = message.header_addresses(header);
        out.insert(out.end(), list.begin(), list.end());
    }
    return out;
}

// Each address is put in normal form once and looked up in the rule's
// index, so a condition of many entries costs no more per recipient
// than one of a few.
bool match_addresses(const Rule& rule, MessageFacts& message,
                     const Context& context, Why& why) {
    for (const auto& [field, patterns] : rule.addresses) {
        const AddressPattern* found = nullptr;
        for (const std::string& address :
             field_addresses(field, message, context)) {
            found = patterns.find(mail::AddressKey::of(address));
            if (found) {
                why.push_back(fmt::format("{} {} matches {}", field, address,
                                          found->written));
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

bool match_headers(const Rule& rule, MessageFacts& message, Why& why) {
    // Several patterns for one header are alternatives; different
    // headers must all match.
    std::map<std::string, bool> seen;
    for (const auto& [name, pattern] : rule.headers) {
        bool& ok = seen[name];
        if (ok)
            continue;
        const std::string& text = message.header_text(name);
        if (!text.empty() && RE2::PartialMatch(text, *pattern.re)) {
            why.push_back(fmt::format("{} matches /{}/", name, pattern.text));
            ok = true;
        }
    }
    return std::all_of(seen.begin(), seen.end(),
                       [](const auto& entry) { return entry.second; });
}

bool match_body(const Rule& rule, MessageFacts& message, Why& why) {
    if (rule.body.empty())
        return true;
    const std::string& text = message.body_text();
    for (const Pattern& pattern : rule.body) {
        if (RE2::PartialMatch(text, *pattern.re)) {
            why.push_back(fmt::format("body matches /{}/", pattern.text));
            return true;
        }
    }
    return false;
}

bool match_words(const Rule& rule, MessageFacts& message,
                 const Context& context, Why& why) {
    for (const WordsCondition& condition : rule.words) {
        const WordList* list = context.lists->find(condition.list);
        if (!list)
            return false;
        WordHits hits = list->find(message.words());
        double needed = context.threshold(condition);
        if (static_cast<double>(hits.count) < needed)
            return false;
        // The first three words found, and "..." when there were more.
        bool more = hits.count > hits.examples.size();
        why.push_back(fmt::format(
            "{} hit{} from {} ({}{}; {} needed)", hits.count,
            hits.count == 1 ? "" : "s", condition.list,
            fmt::join(hits.examples, ", "), more ? ", ..." : "", needed));
    }
    return true;
}

bool type_matches(std::string_view type, const std::string& pattern) {
    if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == "/*")
        return type.substr(0, pattern.size() - 1) ==
               std::string_view(pattern).substr(0, pattern.size() - 1);
    return type == pattern;
}

// Returns why one attachment meets every attachment condition, or empty.
std::string match_one(const AttachmentCondition& condition,
                      const AttachmentFacts& file) {
    Why why;
    if (!condition.extensions.empty()) {
        std::string hit;
        for (const auto& info : file.names) {
            for (const std::string& ext : condition.extensions) {
                bool any =
                    std::find(info.extensions.begin(), info.extensions.end(),
                              ext) != info.extensions.end();
                // The last extension decides what runs; an earlier one
                // counts when the name is a disguise: Windows may stop
                // at a NUL, and padding or bidi controls hide the rest.
                if (info.extension == ext || (any && info.disguised()))
                    hit = ext;
            }
        }
        if (hit.empty())
            return "";
        why.push_back("extension ." + hit);
    }
    if (!condition.names.empty()) {
        auto named = [&](const Pattern& pattern) {
            return std::any_of(file.names.begin(), file.names.end(),
                               [&](const attachment::NameInfo& info) {
                                   return RE2::PartialMatch(info.shown,
                                                            *pattern.re);
                               });
        };
        auto hit =
            std::find_if(condition.names.begin(), condition.names.end(), named);
        if (hit == condition.names.end())
            return "";
        why.push_back(fmt::format("name matches /{}/", hit->text));
    }
    if (!condition.types.empty()) {
        // libmagic writes a few types in capitals (application/CDFV2);
        // rules hold them lower case.
        std::string type = ascii_lower(file.true_type);
        auto hit = std::find_if(
            condition.types.begin(), condition.types.end(),
            [&](const std::string& t) { return type_matches(type, t); });
        if (hit == condition.types.end())
            return "";
        why.push_back("content is " + file.true_type);
    }
    if (condition.larger_than) {
        if (file.size <= *condition.larger_than)
            return "";
        why.push_back(fmt::format("{} bytes", file.size));
    }
    if (condition.tricks) {
        if (!file.disguised())
            return "";
        why.push_back("disguised name");
    }
    return fmt::format("{}", fmt::join(why, ", "));
}

bool match_attachments(const Rule& rule, MessageFacts& message, Why& why,
                       std::vector<std::string>& parts) {
    if (!rule.attachment)
        return true;
    const AttachmentCondition& condition = *rule.attachment;
    for (const AttachmentFacts& file : message.attachments()) {
        if (file.in_archive && !condition.in_archives)
            continue;
        std::string hit = match_one(condition, file);
        if (hit.empty())
            continue;
        why.push_back(fmt::format("attachment {}{}: {}", file.shown_name,
                                  file.in_archive ? " (in an archive)" : "",
                                  hit));
        if (std::find(parts.begin(), parts.end(), file.part) == parts.end())
            parts.push_back(file.part);
    }
    return !parts.empty();
}

bool match_clients(const Rule& rule, MessageFacts& message, Why& why) {
    if (rule.clients.empty())
        return true;
    const std::string& ip = message.client_ip();
    auto address = net::parse_client_address(ip);
    if (!address || !rule.clients.contains(*address))
        return false;
    why.push_back("client " + ip);
    return true;
}

bool match_anomalies(const Rule& rule, MessageFacts& message, Why& why) {
    if (rule.anomalies.empty())
        return true;
    const auto& found = message.anomalies();
    for (const std::string& id : rule.anomalies) {
        if (std::find(found.begin(), found.end(), id) != found.end()) {
            why.push_back("finding " + id);
            return true;
        }
    }
    return false;
}

} // namespace

Status WordLists::load_for(const Policy& policy,
                           const std::string& fallback_dir) {
    const std::string& dir =
        policy.wordlists_dir.empty() ? fallback_dir : policy.wordlists_dir;
    for (const auto& rule : policy.rules) {
        for (const WordsCondition& words : rule->words) {
            if (lists_.count(words.list))
                continue;
            auto list = WordList::load(dir + "/" + words.list + ".txt");
            if (!list)
                return Error{
                    words.where.empty() ? rule->where : words.where,
                    fmt::format("rule {}: {}", rule->id, list.error().text()),
                    ExitCode::config};
            lists_.emplace(words.list, std::move(*list));
        }
    }
    return {};
}

const WordList* WordLists::find(const std::string& name) const {
    auto found = lists_.find(name);
    return found == lists_.end() ? nullptr : &found->second;
}

std::optional<Matched> evaluate(const Rule& rule, MessageFacts& message,
                                const Context& context) {
    if (!rule.applies(context.direction))
        return std::nullopt;
    Why why;
    Matched matched;
    bool fires = match_addresses(rule, message, context, why) &&
                 match_clients(rule, message, why) &&
                 match_headers(rule, message, why) &&
                 match_body(rule, message, why) &&
                 match_words(rule, message, context, why) &&
                 match_attachments(rule, message, why, matched.parts) &&
                 match_anomalies(rule, message, why);
    if (!fires)
        return std::nullopt;
    matched.why =
        why.empty() ? "always" : fmt::format("{}", fmt::join(why, "; "));
    return matched;
}

} // namespace portcullis::policy
