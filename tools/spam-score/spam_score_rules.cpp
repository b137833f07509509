// Reading .cf files. Each line is one directive; a line that cannot be
// read is reported with file:line and skipped, so one bad rule never
// stops the others. Directives that only matter to SpamAssassin's own
// plugins are ignored quietly; settings that would change what happens
// to mail, and unknown directives, are reported.
#include "spam_score_rules.hpp"
#include "core/strings.hpp"

#include "spam_score_conditions.hpp"
#include "spam_score_meta.hpp"
#include "spam_score_rules_regex.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace portcullis::spam_score {

namespace {

std::string_view next_word(std::string_view& s) {
    s = trim_space(s);
    size_t end = 0;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])))
        ++end;
    std::string_view word = s.substr(0, end);
    s = trim_space(s.substr(end));
    return word;
}

bool quietly_ignored(std::string_view directive) {
    // Settings of SpamAssassin's plugins and network tests, which
    // spam-score does not have, and settings that change nothing here.
    static const char* ignored[] = {"lang",
                                    "priority",
                                    "require_version",
                                    "report",
                                    "loadplugin",
                                    "tryplugin",
                                    "version_tag",
                                    "skip_rbl_checks",
                                    "ok_locales",
                                    "ok_languages",
                                    "dns_available",
                                    "normalize_charset",
                                    "use_auto_whitelist",
                                    "use_razor2",
                                    "use_pyzor",
                                    "use_dcc",
                                    "reuse",
                                    "replace_tag",
                                    "replace_pre",
                                    "replace_inter",
                                    "replace_post",
                                    "replace_start",
                                    "replace_end",
                                    "test"};
    for (const char* i : ignored)
        if (directive == i)
            return true;
    return false;
}

// SpamAssassin settings that would change what happens to mail, and
// what to do here instead; nullptr for any other directive.
const char* unsupported_setting(std::string_view directive) {
    // SpamAssassin lets these senders through once SPF or DKIM, or the
    // name of the relay that handed the mail in, vouches for them; the
    // nearest here is an allow list that needs the envelope sender too.
    static const char* auth_advice =
        "spam-score checks no SPF or DKIM: set allow_senders in the "
        "configuration instead, which needs the envelope sender listed too";
    static const char* default_auth_advice =
        "spam-score checks no SPF or DKIM and keeps no default allow list: "
        "set allow_senders in the configuration for the senders you trust";
    static const char* relay_advice =
        "spam-score does not match senders to the relay that handed the "
        "mail in: set allow_senders in the configuration instead, which "
        "needs the envelope sender listed too";
    static const std::pair<const char*, const char*> settings[] = {
        {"required_score", "set thresholds.tag in the configuration instead"},
        {"required_hits", "set thresholds.tag in the configuration instead"},
        {"use_bayes", "give --no-bayes instead"},
        {"bayes_auto_learn", "learn with spam-score learn instead"},
        {"rewrite_header", "set subject_tag in the configuration instead"},
        {"whitelist_from", "set allow_senders in the configuration instead"},
        {"welcomelist_from", "set allow_senders in the configuration instead"},
        {"whitelist_auth", auth_advice},
        {"welcomelist_auth", auth_advice},
        {"def_whitelist_auth", default_auth_advice},
        {"def_welcomelist_auth", default_auth_advice},
        {"whitelist_from_rcvd", relay_advice},
        {"welcomelist_from_rcvd", relay_advice},
        {"def_whitelist_from_rcvd", relay_advice},
        {"def_welcomelist_from_rcvd", relay_advice},
        {"include", "spam-score reads only the rules folder and local_rules: "
                    "name the file in local_rules (or --local-rules) "
                    "instead"},
        {"blacklist_from", "set block_senders in the configuration instead"},
        {"blocklist_from", "set block_senders in the configuration instead"},
        {"trusted_networks", "spam-score reads no relays"},
        {"internal_networks", "spam-score reads no relays"},
        {"msa_networks", "spam-score reads no relays"},
        {"report_safe", "spam-score never wraps a message"},
        {"add_header", "spam-score writes its own X-Spam header fields"},
        {"remove_header", "spam-score writes its own X-Spam header fields"},
        {"clear_headers", "spam-score writes its own X-Spam header fields"},
        {"redirector_pattern", "a redirector's target is read only where "
                               "the link holds it as http:// or https://"},
    };
    for (const auto& [name, advice] : settings)
        if (directive == name)
            return advice;
    return nullptr;
}

// Directives that define a rule spam-score cannot run: the rule is
// reported by name, so meta rules that use it can say why they stop.
const char* unsupported_rule_kind(std::string_view directive) {
    static const std::pair<const char*, const char*> kinds[] = {
        {"mimeheader", "mimeheader rules are not supported"},
        {"uridnsbl", "uridnsbl rules need DNS, which spam-score does not use"},
        {"urirhsbl", "urirhsbl rules need DNS, which spam-score does not use"},
        {"urirhssub", "urirhssub rules need DNS, which spam-score does not "
                      "use"},
        {"urifullnsrhssub", "urifullnsrhssub rules need DNS, which "
                            "spam-score does not use"},
        {"askdns", "askdns rules need DNS, which spam-score does not use"},
    };
    for (const auto& [name, why] : kinds)
        if (directive == name)
            return why;
    return nullptr;
}

// A number as SpamAssassin reads one in a score line: digits, with an
// optional minus and fraction. It refuses "1e3", ".5" or "+1" and keeps
// the rule's default score; taking them as numbers would give a score
// it never gives.
bool is_score_number(std::string_view word) {
    auto digits = [&](size_t& pos) {
        size_t start = pos;
        while (pos < word.size() &&
               std::isdigit(static_cast<unsigned char>(word[pos])))
            ++pos;
        return pos > start;
    };
    size_t pos = word.starts_with('-') ? 1 : 0;
    if (!digits(pos))
        return false;
    if (pos < word.size() && word[pos] == '.') {
        ++pos;
        if (!digits(pos))
            return false;
    }
    return pos == word.size();
}

// Reads the one or four numbers of a score line. Anything else, or a
// score no rule should have, is refused: an absurd score would drown
// every other rule, or turn into infinity in the headers.
Result<std::vector<double>> read_scores(std::string_view text) {
    constexpr double max_score = 1000;
    std::vector<double> values;
    std::string_view rest = trim_space(text);
    while (!rest.empty()) {
        std::string word(next_word(rest));
        char* end = nullptr;
        errno = 0;
        double v = std::strtod(word.c_str(), &end);
        if (word.empty() || *end != '\0' || !is_score_number(word) ||
            errno == ERANGE || !std::isfinite(v))
            return Error{"", fmt::format("\"{}\" is not a score", word)};
        if (std::fabs(v) > max_score)
            return Error{
                "", fmt::format("score {} is beyond ±{}", word, max_score)};
        values.push_back(v);
    }
    if (values.size() != 1 && values.size() != 4)
        return Error{"", fmt::format("a score line gives one score or four, "
                                     "not {}",
                                     values.size())};
    return values;
}

// A header field name: printable ASCII without the colon (RFC 5322).
bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != ':';
    });
}

// SpamAssassin computes these from the relays it trusts, which
// spam-score does not track; read as absent, a !~ test would always fire.
bool is_relay_pseudo_header(std::string_view name) {
    std::string lower = ascii_lower(name);
    return name.rfind("ALL-", 0) == 0 || lower.rfind("x-spam-relays-", 0) == 0;
}

// Turns the header part of a header rule ("Subject", "From:addr",
// "ToCc:raw") into the selector MessageView is keyed by.
Result<std::string> read_selector(std::string_view text) {
    size_t colon = text.find(':');
    std::string_view name = text.substr(0, colon);
    std::string_view modifier =
        colon == std::string_view::npos ? "" : text.substr(colon + 1);
    if (!is_field_name(name))
        return Error{"", fmt::format("\"{}\" is not a header name", name)};
    if (is_relay_pseudo_header(name))
        return Error{"", fmt::format("{} needs the trusted and internal "
                                     "relays, which spam-score does not track",
                                     name)};
    std::string lower = ascii_lower(name);
    if (lower.rfind("x-spam-", 0) == 0)
        return Error{"", fmt::format("{} is never read: X-Spam-* header "
                                     "fields are removed first",
                                     name)};
    if (modifier.find(':') != std::string_view::npos)
        return Error{"", fmt::format("header modifiers \":{}\" together are "
                                     "not supported",
                                     modifier)};
    // SpamAssassin's own names: ALL and MESSAGEID in capitals, the others
    // in any case.
    std::string special = name == "ALL" || name == "MESSAGEID"
                              ? std::string(name)
                          : lower == "tocc"         ? "ToCc"
                          : lower == "envelopefrom" ? "EnvelopeFrom"
                                                    : "";
    bool known = modifier.empty() || modifier == "raw" ||
                 ((special.empty() || special == "ToCc") &&
                  (modifier == "addr" || modifier == "name"));
    if (!known)
        return Error{"", fmt::format("header modifier \":{}\" is not "
                                     "supported{}",
                                     modifier,
                                     special.empty() ? "" : " on " + special)};
    if (special == "EnvelopeFrom" && !modifier.empty())
        return Error{"", "header modifier \":raw\" is not supported on "
                         "EnvelopeFrom"};
    std::string selector = special.empty() ? lower : special;
    return modifier.empty() ? selector : selector + ":" + std::string(modifier);
}

// Reads what follows "header NAME": "exists:Field", or a selector, =~ or
// !~, a regex and an optional [if-unset: VALUE].
Status read_header_test(std::string_view rest, Rule& parsed) {
    if (rest.substr(0, 7) == "exists:") {
        rest.remove_prefix(7);
        std::string_view field = next_word(rest);
        if (!rest.empty())
            return Error{"", fmt::format("unexpected \"{}\" after exists:{}",
                                         rest, field)};
        auto selector = read_selector(field);
        if (!selector)
            return selector.error();
        if (selector->find(':') != std::string::npos)
            return Error{"", fmt::format("exists: takes a header field name, "
                                         "not {}",
                                         field)};
        parsed.exists = true;
        parsed.selector = *selector;
        return {};
    }
    std::string_view header = next_word(rest);
    std::string_view op = next_word(rest);
    if (op != "=~" && op != "!~")
        return Error{"", "expected =~ or !~"};
    auto selector = read_selector(header);
    if (!selector)
        return selector.error();
    parsed.negate = op == "!~";
    parsed.selector = *selector;
    auto regex = read_regex(rest, Anchors::text);
    if (!regex)
        return regex.error();
    parsed.pattern = regex->pattern;
    static const std::string_view unset = "[if-unset:";
    std::string_view after = regex->rest;
    if (after.empty())
        return {};
    if (after.substr(0, unset.size()) != unset || after.back() != ']')
        return Error{"",
                     fmt::format("unexpected \"{}\" after the pattern", after)};
    after.remove_prefix(unset.size());
    after.remove_suffix(1);
    parsed.if_unset = std::string(trim_space(after));
    return {};
}

} // namespace

bool has_tflag(std::string_view tflags, std::string_view flag) {
    std::string_view rest = tflags;
    while (!rest.empty()) {
        std::string_view word = next_word(rest);
        if (word == flag ||
            (word.size() > flag.size() && word.starts_with(flag) &&
             word[flag.size()] == '='))
            return true;
    }
    return false;
}

bool is_rule_name(std::string_view name) {
    if (name.empty() || name.size() > max_rule_name)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_';
    });
}

Rule& RuleSet::rule(const std::string& name) {
    auto [it, inserted] = rules_.try_emplace(name);
    if (inserted) {
        it->second.name = name;
        it->second.kind = RuleKind::builtin;
    }
    return it->second;
}

void RuleSet::declare_builtin(const std::string& name) {
    builtins_.insert(name);
    rule(name).kind = RuleKind::builtin;
}

// A rule refused as it is read is remembered, so a meta rule that uses
// it is skipped too rather than read it as "not fired".
void RuleSet::refuse(const std::string& name, const std::string& where,
                     const std::string& why) {
    problems_.push_back({where, fmt::format("{}: {}", name, why)});
    skipped_.insert(name);
}

void RuleSet::parse_rule(RuleKind kind, std::string_view rest,
                         const std::string& where) {
    std::string name(next_word(rest));
    if (name.empty() || rest.empty()) {
        problems_.push_back({where, "rule needs a name and a test"});
        return;
    }
    if (!is_rule_name(name)) {
        problems_.push_back(
            {where, fmt::format("a rule name is 1 to {} letters, digits "
                                "and _",
                                max_rule_name)});
        return;
    }
    Rule parsed;
    parsed.name = name;
    parsed.kind = kind;
    parsed.where = where;
    if (rest.substr(0, 5) == "eval:" ||
        (kind == RuleKind::header &&
         rest.find(" eval:") != std::string_view::npos)) {
        refuse(name, where, "eval rules are not supported");
        return;
    }
    if (kind == RuleKind::meta) {
        parsed.expression = std::string(rest);
    } else if (kind == RuleKind::header) {
        if (Status s = read_header_test(rest, parsed); !s) {
            refuse(name, where, s.error().message);
            return;
        }
    } else {
        auto regex = read_regex(
            rest, kind == RuleKind::body ? Anchors::paragraph : Anchors::text);
        if (!regex) {
            refuse(name, where, regex.error().message);
            return;
        }
        if (!regex->rest.empty()) {
            refuse(name, where,
                   fmt::format("unexpected \"{}\" after the pattern",
                               regex->rest));
            return;
        }
        parsed.pattern = regex->pattern;
    }
    Rule& target = rule(name);
    parsed.score = target.score;
    parsed.score_without_bayes = target.score_without_bayes;
    parsed.score_where = target.score_where;
    parsed.description = target.description;
    parsed.tflags = target.tflags;
    target = std::move(parsed);
    if (ordered_.insert(name).second)
        order_.push_back(name);
}

namespace {

// SpamAssassin's configuration syntax: a comment starts at any "#" not
// escaped as "\#", and "\#" stands for "#" itself, in patterns too.
std::string strip_comment(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '#') {
            out += '#';
            ++i;
            continue;
        }
        if (line[i] == '#')
            break;
        out += line[i];
    }
    return out;
}

} // namespace

// score, describe, tflags and replace_rules: settings of rules, which
// may come before or after the rule itself.
bool RuleSet::parse_setting(const std::string& directive, std::string_view rest,
                            const std::string& where) {
    if (directive == "replace_rules") {
        while (!rest.empty())
            tagged_.insert(std::string(next_word(rest)));
        return true;
    }
    if (directive != "score" && directive != "describe" &&
        directive != "tflags")
        return false;
    std::string name(next_word(rest));
    if (!is_rule_name(name)) {
        problems_.push_back(
            {where, fmt::format("{} needs a rule name of letters, digits "
                                "and _",
                                directive)});
        return true;
    }
    if (directive == "describe") {
        rule(name).description = std::string(rest);
        return true;
    }
    if (directive == "tflags") {
        rule(name).tflags = std::string(rest);
        return true;
    }
    auto values = read_scores(rest);
    if (!values) {
        // The rule is turned off, as a score of 0 turns it off: left at
        // its default of 1, a rule meant to lower the score would raise
        // it.
        problems_.push_back({where, fmt::format("{}: {}; the rule is off", name,
                                                values.error().message)});
        Rule& target = rule(name);
        target.score = 0;
        target.score_without_bayes = 0;
        if (target.score_where.empty())
            target.score_where = where;
        return true;
    }
    // With four scores, the first is SpamAssassin's set for Bayes and
    // network tests off and the third its set for Bayes on and network
    // tests off, which are how this tool runs. A later line of one score
    // gives every set that score.
    Rule& target = rule(name);
    target.score = values->size() == 4 ? (*values)[2] : (*values)[0];
    target.score_without_bayes = values->size() == 4
                                     ? std::optional<double>((*values)[0])
                                     : std::nullopt;
    if (target.score_where.empty())
        target.score_where = where;
    return true;
}

void RuleSet::parse_line(std::string_view raw, const std::string& where) {
    std::string uncommented = strip_comment(raw);
    std::string_view line = trim_space(uncommented);
    if (line.empty())
        return;
    std::string_view rest = line;
    std::string directive = ascii_lower(next_word(rest));
    std::string problem;
    if (conditions_.read(directive, rest, problem)) {
        if (!problem.empty())
            problems_.push_back({where, problem});
        return;
    }
    if (!conditions_.active())
        return;
    if (directive == "enable_compat") {
        if (!conditions_.enable_compat(rest, problem))
            problems_.push_back({where, problem});
        return;
    }
    static const std::pair<const char*, RuleKind> kinds[] = {
        {"header", RuleKind::header},   {"body", RuleKind::body},
        {"rawbody", RuleKind::rawbody}, {"uri", RuleKind::uri},
        {"full", RuleKind::full},       {"meta", RuleKind::meta}};
    for (auto& [word, kind] : kinds) {
        if (directive == word) {
            parse_rule(kind, rest, where);
            return;
        }
    }
    if (const char* why = unsupported_rule_kind(directive)) {
        std::string name(next_word(rest));
        if (is_rule_name(name))
            refuse(name, where, why);
        else
            problems_.push_back({where, why});
        return;
    }
    if (parse_setting(directive, rest, where) || quietly_ignored(directive))
        return;
    // SpamAssassin's own folders hold thousands of settings for features
    // this tool does not have: one problem per directive, not per line.
    auto [it, first] = directives_.try_emplace(directive);
    if (first) {
        it->second.where = where;
        if (const char* advice = unsupported_setting(directive))
            it->second.advice = advice;
    }
    ++it->second.lines;
}

void RuleSet::report_directives() {
    for (const auto& [directive, seen] : directives_) {
        std::string more =
            seen.lines == 1
                ? ""
                : fmt::format(" here and on {} more line{}", seen.lines - 1,
                              seen.lines == 2 ? "" : "s");
        problems_.push_back(
            {seen.where, seen.advice.empty()
                             ? fmt::format("unknown directive \"{}\" ignored{}",
                                           directive, more)
                             : fmt::format("{} is not supported{}; {}",
                                           directive, more, seen.advice)});
    }
    directives_.clear();
}

void RuleSet::load_text(std::string_view text, const std::string& file) {
    // Editors on Windows start UTF-8 files with a byte order mark, which
    // would otherwise glue itself to the first directive.
    if (text.substr(0, 3) == "\xef\xbb\xbf")
        text.remove_prefix(3);
    int number = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = text.size();
        ++number;
        parse_line(text.substr(pos, eol - pos),
                   fmt::format("{}:{}", file, number));
        pos = eol + 1;
    }
    // A block is never carried over into the next file. The last line
    // counted is the empty one after a final newline, when there is one.
    if (!text.empty() && text.back() == '\n')
        --number;
    if (size_t open = conditions_.close_all())
        problems_.push_back(
            {fmt::format("{}:{}", file, number),
             fmt::format("{} if or ifplugin block(s) not closed by endif",
                         open)});
}

Status RuleSet::load_path(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Error{path, std::strerror(errno), ExitCode::config};
    if (S_ISDIR(st.st_mode)) {
        DIR* dir = ::opendir(path.c_str());
        if (!dir)
            return Error{path, std::strerror(errno), ExitCode::config};
        std::vector<std::string> names;
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            // Hidden files are editors' locks and backups, never rules.
            if (name[0] != '.' && name.size() > 3 &&
                name.substr(name.size() - 3) == ".cf")
                names.push_back(name);
        }
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        for (const std::string& name : names) {
            std::string file = path + "/" + name;
            // In a folder, what is not a readable regular file (a FIFO
            // that would block, a dangling link) is skipped, not fatal.
            struct stat entry {};
            if (::stat(file.c_str(), &entry) != 0) {
                problems_.push_back(
                    {file, fmt::format("skipped: {}", std::strerror(errno))});
                continue;
            }
            if (!S_ISREG(entry.st_mode)) {
                problems_.push_back({file, "skipped: not a regular file"});
                continue;
            }
            if (Status s = load_path(file); !s)
                return s;
        }
        return {};
    }
    if (!S_ISREG(st.st_mode))
        return Error{path, "not a rules file or folder", ExitCode::config};
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{path, std::strerror(errno), ExitCode::config};
    std::stringstream buffer;
    buffer << in.rdbuf();
    load_text(buffer.str(), path);
    return {};
}

Status RuleSet::load_folder(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Error{path, std::strerror(errno), ExitCode::config};
    if (!S_ISDIR(st.st_mode))
        return Error{path, "the rules folder is not a folder",
                     ExitCode::config};
    size_t before = order_.size();
    if (Status s = load_path(path); !s)
        return s;
    // A rules folder that gives no rule would pass every message quietly.
    if (order_.size() == before)
        return Error{path, "no rules in the rules folder (*.cf)",
                     ExitCode::config};
    return {};
}

const Rule* RuleSet::find(const std::string& name) const {
    auto it = rules_.find(name);
    return it == rules_.end() ? nullptr : &it->second;
}

double RuleSet::score_of(const Rule& rule) const {
    if (rule.score)
        return *rule.score;
    // SpamAssassin's conventions: sub-rules count for nothing, rules on
    // trial (T_) 0.01, others 1, and a "nice" rule, meant to lower the
    // score, as much below 0. A built-in test counts only once a rule
    // file gives it a score.
    if (rule.kind == RuleKind::builtin || rule.name.rfind("__", 0) == 0)
        return 0;
    double score = rule.name.rfind("T_", 0) == 0 ? 0.01 : 1.0;
    return has_tflag(rule.tflags, "nice") ? -score : score;
}

double RuleSet::score_without_bayes_of(const Rule& rule) const {
    return rule.score_without_bayes ? *rule.score_without_bayes
                                    : score_of(rule);
}

// SpamAssassin runs no rule whose score is 0, and a meta rule reads it
// as not fired: "score __SUB 0" is how administrators switch a sub-rule
// off, for every meta rule that uses it. Only a score line does that; a
// sub-rule or built-in test without one scores nothing but still runs.
// A rule that scores in one set only runs, and in the set that scores it
// 0 is switched off at match time (settle_set_switches).
bool RuleSet::is_switched_off(const Rule& rule) {
    return rule.score && *rule.score == 0 &&
           rule.score_without_bayes.value_or(0) == 0;
}

} // namespace portcullis::spam_score
