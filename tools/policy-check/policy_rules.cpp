// Reading rules from TOML. Each key is checked against what a rule may
// hold, so a typo is an error at its line instead of a rule that
// silently never fires.
#include "policy_rules.hpp"

#include "core/config.hpp"
#include "core/strings.hpp"

#include "mail/address.hpp"
#include "mail/anomalies.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <set>

namespace portcullis::policy {

namespace {

using Where = std::function<std::string(const toml::node&)>;

constexpr std::array<std::string_view, 8> action_names = {
    "reject", "discard", "quarantine", "redirect",
    "folder", "strip",   "tag",        "copy"};

// The keys a rule may hold; anything else is a mistake worth an error.
const std::set<std::string, std::less<>> rule_keys = {
    "id",         "description", "direction",   "locked",      "from",
    "to",         "cc",          "reply_to",    "sender",      "rcpt",
    "recipients", "header",      "body",        "words",       "attachment",
    "client",     "anomaly",     "action",      "reject_text", "redirect_to",
    "copy_to",    "folder",      "subject_tag", "add_header",  "notice"};

const std::set<std::string, std::less<>> attachment_keys = {
    "extensions", "names", "types", "larger_than", "in_archives", "tricks"};

// The findings policy-check adds to the MIME anomalies (policy_message.cpp
// raises them; a unit test keeps the two in step).
const std::set<std::string, std::less<>> own_findings = {
    "INVALID_FROM",
    "INVALID_REPLY_TO",
    "INVALID_TO",
    "INVALID_CC",
    "FROM_DISPLAYNAME_ADDR_MISMATCH",
    "ARCHIVE_ENCRYPTED",
    "ARCHIVE_LIMIT",
    "ARCHIVE_UNREADABLE",
    "ARCHIVE_NAME_MISMATCH",
    "LOOKALIKE_CHARS",
    "BODY_TEXT_TRUNCATED"};

std::string_view trim_blanks(std::string_view text) {
    size_t first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// RFC 2045 token characters, lower case: what a MIME type's two halves
// may hold.
bool is_type_token(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) {
               return std::islower(c) || std::isdigit(c) ||
                      std::string_view("!#$%&'*+-.^_`|~").find(c) !=
                          std::string_view::npos;
           });
}

// "type/subtype" or "type/*", as libmagic names true types.
bool is_type_pattern(std::string_view type) {
    size_t slash = type.find('/');
    if (slash == std::string_view::npos)
        return false;
    std::string_view sub = type.substr(slash + 1);
    return is_type_token(type.substr(0, slash)) &&
           (sub == "*" || (is_type_token(sub) && sub.find('*') == sub.npos));
}

// The node of a list's i-th entry, so an error names its own line.
const toml::node& entry_at(const toml::node& node, size_t i) {
    const toml::array* list = node.as_array();
    return list && i < list->size() ? *list->get(i) : node;
}

class RuleReader {
public:
    RuleReader(const toml::table& table, const Where& where, Rule& rule)
        : table_(table), where_(where), rule_(rule) {}

    Status read();

private:
    Error error(const toml::node& node, std::string message) const {
        return Error{where_(node), std::move(message), ExitCode::config};
    }

    Status check_keys();
    Result<std::vector<std::string>> strings(std::string_view key,
                                             const toml::node& node) const;
    Result<Pattern> pattern(const toml::node& node, std::string text,
                            bool ignore_case = false) const;
    Status read_attachment_lists(const toml::table& table,
                                 AttachmentCondition& condition);
    Status add_extension(const toml::node& node, std::string_view text,
                         AttachmentCondition& condition);
    Status add_type(const toml::node& node, std::string_view text,
                    AttachmentCondition& condition);
    Status add_name(const toml::node& node, const std::string& text,
                    AttachmentCondition& condition);
    Status read_identity();
    Status read_directions();
    Status read_addresses();
    Status read_headers();
    Status read_body();
    Status read_words();
    Status read_words_entry(const toml::node& node);
    Status read_attachment();
    Status read_clients();
    Status read_anomalies();
    Status read_action();
    Status read_action_text(std::string_view key, std::string& out);

    const toml::table& table_;
    const Where& where_;
    Rule& rule_;
};

Status RuleReader::check_keys() {
    for (auto&& [key, node] : table_) {
        if (!rule_keys.count(key.str()))
            return error(node,
                         fmt::format("unknown rule key \"{}\"", key.str()));
    }
    return {};
}

// A key may hold one string or a list of them.
Result<std::vector<std::string>>
RuleReader::strings(std::string_view key, const toml::node& node) const {
    std::vector<std::string> out;
    if (auto value = node.value<std::string>()) {
        out.push_back(*value);
        return out;
    }
    const toml::array* list = node.as_array();
    if (!list)
        return error(node, fmt::format("{} must be a string or a list of "
                                       "strings",
                                       key));
    for (const toml::node& entry : *list) {
        auto value = entry.value<std::string>();
        if (!value)
            return error(entry, fmt::format("{} must hold strings", key));
        out.push_back(*value);
    }
    return out;
}

Result<Pattern> RuleReader::pattern(const toml::node& node, std::string text,
                                    bool ignore_case) const {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!ignore_case);
    auto re = std::make_shared<RE2>(text, options);
    if (!re->ok())
        return error(node,
                     fmt::format("bad pattern \"{}\": {}", text, re->error()));
    return Pattern{std::move(text), std::move(re)};
}

Status RuleReader::read_identity() {
    const toml::node* id = table_.get("id");
    if (!id || !id->is_string())
        return error(table_, "rule needs an id (a string)");
    rule_.id = id->value<std::string>().value_or("");
    bool good = !rule_.id.empty() &&
                std::all_of(rule_.id.begin(), rule_.id.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) ||
                           c == '-' || c == '_' || c == '.';
                });
    if (!good)
        return error(*id, fmt::format("rule id \"{}\" may hold only letters, "
                                      "digits, '-', '_' and '.'",
                                      rule_.id));
    // Ids are written in X-Portcullis-Policy, which folds only between
    // them: one past a line's 998 bytes could not be folded at all.
    constexpr size_t max_id_bytes = 200;
    if (rule_.id.size() > max_id_bytes)
        return error(
            *id, fmt::format("rule id is longer than {} bytes", max_id_bytes));
    if (const toml::node* description = table_.get("description")) {
        if (!description->is_string())
            return error(*description, "description must be a string");
        rule_.description = description->value_or(std::string());
    }
    if (const toml::node* locked = table_.get("locked")) {
        if (!locked->is_boolean())
            return error(*locked, "locked must be true or false");
        rule_.locked = locked->value_or(false);
    }
    return {};
}

Status RuleReader::read_directions() {
    const toml::node* node = table_.get("direction");
    if (!node)
        return {};
    auto names = strings("direction", *node);
    if (!names)
        return names.error();
    for (const std::string& name : *names) {
        if (name == "both" || name == "any")
            continue;
        if (name == "inbound")
            rule_.directions.push_back(Direction::inbound);
        else if (name == "outbound")
            rule_.directions.push_back(Direction::outbound);
        else if (name == "internal")
            rule_.directions.push_back(Direction::internal);
        else
            return error(*node, fmt::format("direction \"{}\" is not inbound, "
                                            "outbound, internal or both",
                                            name));
    }
    return {};
}

Status RuleReader::read_addresses() {
    for (const std::string& field : address_fields()) {
        const toml::node* node = table_.get(field);
        if (!node)
            continue;
        auto texts = strings(field, *node);
        if (!texts)
            return texts.error();
        auto& patterns = rule_.addresses[field];
        for (size_t i = 0; i < texts->size(); ++i) {
            auto parsed = mail::parse_address_pattern((*texts)[i]);
            if (!parsed)
                return error(entry_at(*node, i), parsed.error().message);
            patterns.add(std::move(*parsed));
        }
    }
    return {};
}

Status RuleReader::read_headers() {
    const toml::node* node = table_.get("header");
    if (!node)
        return {};
    const toml::table* headers = node->as_table();
    if (!headers)
        return error(*node, "header must be a table of field = pattern");
    for (auto&& [name, value] : *headers) {
        auto texts = strings("header." + std::string(name.str()), value);
        if (!texts)
            return texts.error();
        for (size_t i = 0; i < texts->size(); ++i) {
            auto compiled = pattern(entry_at(value, i), std::move((*texts)[i]));
            if (!compiled)
                return compiled.error();
            rule_.headers.emplace_back(std::string(name.str()),
                                       std::move(*compiled));
        }
    }
    return {};
}

Status RuleReader::read_body() {
    const toml::node* node = table_.get("body");
    if (!node)
        return {};
    auto texts = strings("body", *node);
    if (!texts)
        return texts.error();
    for (size_t i = 0; i < texts->size(); ++i) {
        auto compiled = pattern(entry_at(*node, i), std::move((*texts)[i]));
        if (!compiled)
            return compiled.error();
        rule_.body.push_back(std::move(*compiled));
    }
    return {};
}

Status RuleReader::read_words_entry(const toml::node& node) {
    WordsCondition words;
    // A missing list is found when the lists load, after the rules:
    // the error names this line, where the name was written.
    words.where = where_(node);
    const toml::table* table = node.as_table();
    if (auto name = node.value<std::string>()) {
        words.list = *name;
    } else if (!table) {
        return error(node, "words must be a list name, { list = \"NAME\", "
                           "threshold = N } or a list of them");
    }
    if (table) {
        for (auto&& [key, value] : *table) {
            if (key.str() != "list" && key.str() != "threshold")
                return error(
                    value, fmt::format("unknown words key \"{}\"", key.str()));
        }
        if (const toml::node* list = table->get("list")) {
            if (!list->is_string())
                return error(*list, "words.list must be a string");
            words.list = list->value_or(std::string());
        }
        if (const toml::node* threshold = table->get("threshold")) {
            auto value = threshold->value<double>();
            if (!value || *value < 1)
                return error(*threshold, "threshold must be a number of "
                                         "hits, 1 or more");
            words.threshold = *value;
        }
    }
    bool safe = !words.list.empty() &&
                words.list.find_first_of("/.") == std::string::npos;
    if (!safe)
        return error(node, "words needs a list name (a file in the word "
                           "list folder, without '/' or '.')");
    rule_.words.push_back(std::move(words));
    return {};
}

Status RuleReader::read_words() {
    const toml::node* node = table_.get("words");
    if (!node)
        return {};
    if (const toml::array* list = node->as_array()) {
        for (const toml::node& entry : *list) {
            if (auto s = read_words_entry(entry); !s)
                return s;
        }
        return {};
    }
    return read_words_entry(*node);
}

// An extension is compared with one dotted suffix of a name, lower case:
// "tar.gz" or "ex e" would never match one, so they are refused.
Status RuleReader::add_extension(const toml::node& node, std::string_view text,
                                 AttachmentCondition& condition) {
    std::string extension = ascii_lower(trim_blanks(text));
    if (extension.starts_with('.'))
        extension.erase(0, 1);
    if (extension.empty() ||
        extension.find_first_of(". \t/\\") != std::string::npos)
        return error(node, fmt::format("attachment.extensions \"{}\" is not "
                                       "one extension (such as \"exe\")",
                                       text));
    condition.extensions.push_back(std::move(extension));
    return {};
}

// True types are lower case "type/subtype"; blanks around one are
// dropped, and anything else that could never equal one is refused.
Status RuleReader::add_type(const toml::node& node, std::string_view text,
                            AttachmentCondition& condition) {
    std::string type = ascii_lower(trim_blanks(text));
    if (!is_type_pattern(type))
        return error(node, fmt::format("attachment.types \"{}\" is not a "
                                       "type/subtype or type/*",
                                       text));
    condition.types.push_back(std::move(type));
    return {};
}

// Names are matched lower-cased, so a pattern is matched ignoring case:
// "\\.JS$" written in capitals must still match "a.js".
Status RuleReader::add_name(const toml::node& node, const std::string& text,
                            AttachmentCondition& condition) {
    auto compiled = pattern(node, text, true);
    if (!compiled)
        return compiled.error();
    condition.names.push_back(std::move(*compiled));
    return {};
}

Status RuleReader::read_attachment_lists(const toml::table& table,
                                         AttachmentCondition& condition) {
    for (const char* key : {"extensions", "names", "types"}) {
        const toml::node* entry = table.get(key);
        if (!entry)
            continue;
        auto texts = strings(std::string("attachment.") + key, *entry);
        if (!texts)
            return texts.error();
        for (size_t i = 0; i < texts->size(); ++i) {
            const toml::node& node = entry_at(*entry, i);
            std::string_view which = key;
            Status s = which == "extensions"
                           ? add_extension(node, (*texts)[i], condition)
                       : which == "types"
                           ? add_type(node, (*texts)[i], condition)
                           : add_name(node, (*texts)[i], condition);
            if (!s)
                return s;
        }
    }
    return {};
}

Status RuleReader::read_attachment() {
    const toml::node* node = table_.get("attachment");
    if (!node)
        return {};
    const toml::table* table = node->as_table();
    if (!table)
        return error(*node, "attachment must be a table");
    AttachmentCondition condition;
    for (auto&& [key, value] : *table) {
        if (!attachment_keys.count(key.str()))
            return error(
                value, fmt::format("unknown attachment key \"{}\"", key.str()));
    }
    if (auto s = read_attachment_lists(*table, condition); !s)
        return s;
    if (const toml::node* size = table->get("larger_than")) {
        auto value = size->value<int64_t>();
        if (!value || *value < 0)
            return error(*size,
                         "attachment.larger_than must be a number of bytes");
        condition.larger_than = static_cast<uint64_t>(*value);
    }
    // A flag of another type ("yes") must not read as its default and
    // then be blamed on the condition being empty.
    for (auto [key, flag] : {std::pair{"in_archives", &condition.in_archives},
                             {"tricks", &condition.tricks}}) {
        const toml::node* value = table->get(key);
        if (!value)
            continue;
        if (!value->is_boolean())
            return error(
                *value,
                fmt::format("attachment.{} must be true or false", key));
        *flag = value->value_or(false);
    }
    if (condition.empty())
        return error(*node, "attachment needs extensions, names, types, "
                            "larger_than or tricks");
    rule_.attachment = std::move(condition);
    return {};
}

Status RuleReader::read_clients() {
    const toml::node* node = table_.get("client");
    if (!node)
        return {};
    auto texts = strings("client", *node);
    if (!texts)
        return texts.error();
    std::vector<net::Network> networks;
    for (size_t i = 0; i < texts->size(); ++i) {
        auto network = net::parse_network((*texts)[i]);
        if (!network)
            return error(entry_at(*node, i), network.error().message);
        networks.push_back(*network);
    }
    rule_.clients = net::NetworkSet(networks);
    return {};
}

Status RuleReader::read_anomalies() {
    const toml::node* node = table_.get("anomaly");
    if (!node)
        return {};
    auto ids = strings("anomaly", *node);
    if (!ids)
        return ids.error();
    // A misspelt finding would make a rule that never fires.
    for (size_t i = 0; i < ids->size(); ++i) {
        if (!is_finding((*ids)[i]))
            return error(entry_at(*node, i),
                         fmt::format("unknown anomaly \"{}\"", (*ids)[i]));
    }
    rule_.anomalies = std::move(*ids);
    return {};
}

constexpr size_t max_action_text_bytes = 512;

// Text that ends up in an SMTP reply or a header must stay on one line:
// a CR or LF in it would let a policy author, or a template, inject more.
Status RuleReader::read_action_text(std::string_view key, std::string& out) {
    const toml::node* node = table_.get(key);
    if (!node)
        return {};
    auto value = node->value<std::string>();
    if (!value)
        return error(*node, fmt::format("{} must be a string", key));
    if (value->find_first_of("\r\n") != std::string::npos)
        return error(*node, fmt::format("{} must be one line", key));
    // It goes in a header line (X-Portcullis-Policy), which RFC 5322
    // keeps within 998 bytes.
    if (value->size() > max_action_text_bytes)
        return error(*node, fmt::format("{} is longer than {} bytes", key,
                                        max_action_text_bytes));
    out = std::move(*value);
    return {};
}

Status RuleReader::read_action() {
    const toml::node* node = table_.get("action");
    auto name = node ? node->value<std::string>() : std::nullopt;
    if (!name)
        return error(node ? *node : static_cast<const toml::node&>(table_),
                     "rule needs an action");
    auto found = std::find(action_names.begin(), action_names.end(), *name);
    if (found == action_names.end())
        return error(*node, fmt::format("unknown action \"{}\"", *name));
    rule_.action = static_cast<RuleAction>(found - action_names.begin());
    for (auto [key, out] : {std::pair{"reject_text", &rule_.reject_text},
                            {"redirect_to", &rule_.redirect_to},
                            {"copy_to", &rule_.copy_to},
                            {"folder", &rule_.folder},
                            {"subject_tag", &rule_.subject_tag},
                            {"add_header", &rule_.header},
                            {"notice", &rule_.notice}}) {
        if (auto s = read_action_text(key, *out); !s)
            return s;
    }
    return {};
}

Status check_action(const Rule& rule, const toml::table& table,
                    const Where& where) {
    auto fail = [&](std::string message) {
        return Error{where(table), std::move(message), ExitCode::config};
    };
    // A bad value is named at its own line; a missing one at the rule's.
    auto fail_at = [&](const char* key, std::string message) {
        const toml::node* node = table.get(key);
        return Error{where(node ? *node : table), std::move(message),
                     ExitCode::config};
    };
    if (!rule.reject_text.empty()) {
        const std::string& t = rule.reject_text;
        bool code = t.size() > 4 && t[0] == '5' && std::isdigit(t[1]) &&
                    std::isdigit(t[2]) && t[3] == ' ';
        if (!code)
            return fail_at("reject_text",
                           "reject_text must start with a 5xx code and a "
                           "space");
    }
    for (auto [key, value] : {std::pair{"redirect_to", &rule.redirect_to},
                              {"copy_to", &rule.copy_to}}) {
        if (!value->empty() && !mail::parse_mailbox(*value))
            return fail_at(
                key, fmt::format("{} \"{}\" is not an address", key, *value));
    }
    if (!rule.header.empty() && rule.header.find(':') == std::string::npos)
        return fail_at("add_header", "add_header must read \"Name: value\"");
    switch (rule.action) {
    case RuleAction::redirect:
        if (rule.redirect_to.empty())
            return fail("action redirect needs redirect_to");
        break;
    case RuleAction::copy:
        if (rule.copy_to.empty())
            return fail("action copy needs copy_to");
        break;
    case RuleAction::folder:
        if (rule.folder.empty())
            return fail("action folder needs folder");
        break;
    case RuleAction::tag:
        if (rule.subject_tag.empty() && rule.header.empty())
            return fail("action tag needs subject_tag or add_header");
        break;
    case RuleAction::strip:
        if (!rule.attachment)
            return fail("action strip needs an attachment condition");
        break;
    default:
        break;
    }
    return {};
}

Status RuleReader::read() {
    Status s;
    if (!(s = check_keys()) || !(s = read_identity()) ||
        !(s = read_directions()) || !(s = read_addresses()) ||
        !(s = read_headers()) || !(s = read_body()) || !(s = read_words()) ||
        !(s = read_attachment()) || !(s = read_clients()) ||
        !(s = read_anomalies()) || !(s = read_action()))
        return s;
    return check_action(rule_, table_, where_);
}

} // namespace

std::string_view to_string(Direction direction) {
    switch (direction) {
    case Direction::inbound:
        return "inbound";
    case Direction::outbound:
        return "outbound";
    case Direction::internal:
        return "internal";
    }
    return "";
}

std::string_view to_string(RuleAction action) {
    return action_names[static_cast<size_t>(action)];
}

verdict::Action delivery_action(RuleAction action) {
    switch (action) {
    case RuleAction::reject:
        return verdict::Action::reject;
    case RuleAction::discard:
        return verdict::Action::discard;
    case RuleAction::quarantine:
        return verdict::Action::quarantine;
    case RuleAction::redirect:
        return verdict::Action::redirect;
    case RuleAction::folder:
        return verdict::Action::folder;
    case RuleAction::strip:
    case RuleAction::tag:
        return verdict::Action::tag;
    case RuleAction::copy:
        return verdict::Action::pass;
    }
    return verdict::Action::pass;
}

bool Rule::applies(Direction direction) const {
    return directions.empty() || std::find(directions.begin(), directions.end(),
                                           direction) != directions.end();
}

bool is_finding(std::string_view id) {
    return mime::anomaly_kind(id) || own_findings.count(id);
}

const std::vector<std::string>& address_fields() {
    static const std::vector<std::string> fields = {
        "from", "to", "cc", "reply_to", "sender", "rcpt", "recipients"};
    return fields;
}

Result<Policy> read_rules(const toml::table& table, std::string_view level,
                          const Where& where) {
    Policy policy;
    const toml::node* node = table.get("rule");
    if (!node)
        return policy;
    const toml::array* rules = node->as_array();
    if (!rules)
        return Error{where(*node),
                     "rule must be an array of tables "
                     "([[rule]])",
                     ExitCode::config};
    std::set<std::string> ids;
    for (const toml::node& entry : *rules) {
        const toml::table* rule_table = entry.as_table();
        if (!rule_table)
            return Error{where(entry), "each rule must be a table",
                         ExitCode::config};
        auto rule = std::make_shared<Rule>();
        rule->where = where(entry);
        rule->level = std::string(level);
        if (auto s = RuleReader(*rule_table, where, *rule).read(); !s)
            return s.error();
        if (!ids.insert(rule->id).second)
            return Error{where(entry),
                         fmt::format("rule id \"{}\" is used twice", rule->id),
                         ExitCode::config};
        policy.rules.push_back(std::move(rule));
    }
    return policy;
}

Result<Policy> load_policy_file(const std::string& path) {
    auto loaded = config::load(path, true);
    if (!loaded)
        return loaded.error();
    const toml::table& root = loaded->root;
    auto where = [&](const toml::node& node) {
        return fmt::format("{}:{}", path, node.source().begin.line);
    };
    for (auto&& [key, node] : root) {
        if (key.str() != "rule" && key.str() != "wordlists_dir")
            return Error{where(node),
                         fmt::format("unknown policy key \"{}\"", key.str()),
                         ExitCode::config};
    }
    // A wordlists_dir of the wrong type would quietly read another folder.
    constexpr config::KeyKind kinds[] = {{"wordlists_dir", config::Kind::text}};
    auto wrong = config::kind_problems(root, kinds);
    if (!wrong.empty())
        return Error{"", wrong.front().second, ExitCode::config};
    auto policy = read_rules(root, "system", where);
    if (!policy)
        return policy;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    auto lists = root["wordlists_dir"].value<std::string>();
    if (lists && terminal_safe(*lists) != *lists)
        return Error{where(*root.get("wordlists_dir")),
                     "wordlists_dir holds a control character",
                     ExitCode::config};
    if (lists)
        policy->wordlists_dir =
            lists->rfind('/', 0) == 0 ? *lists : dir + "/" + *lists;
    return policy;
}

} // namespace portcullis::policy
