// Reading .cf files. Each line is one directive; a line that cannot be
// read is reported with file:line and skipped, so one bad rule never
// stops the others. Directives that only matter to SpamAssassin's own
// plugins are ignored quietly; unknown ones are reported.
#include "spam_score_rules.hpp"
#include "core/strings.hpp"

#include "spam_score_conditions.hpp"
#include "spam_score_meta.hpp"

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

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::string_view next_word(std::string_view& s) {
    s = trim(s);
    size_t end = 0;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])))
        ++end;
    std::string_view word = s.substr(0, end);
    s = trim(s.substr(end));
    return word;
}

// Strips the white space and comments that Perl's /x flag ignores,
// keeping escaped characters and character classes as written.
std::string strip_extended(std::string_view re) {
    std::string out;
    bool in_class = false;
    for (size_t i = 0; i < re.size(); ++i) {
        char c = re[i];
        if (c == '\\' && i + 1 < re.size()) {
            out += c;
            out += re[++i];
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            continue;
        }
        if (c == '#') {
            while (i < re.size() && re[i] != '\n')
                ++i;
            continue;
        }
        if (!std::isspace(static_cast<unsigned char>(c)))
            out += c;
    }
    return out;
}

struct PerlRegex {
    std::string pattern;
    std::string rest; ///< what follows the regex on the line
};

char closing_delimiter(char open) {
    switch (open) {
    case '{':
        return '}';
    case '(':
        return ')';
    case '[':
        return ']';
    case '<':
        return '>';
    }
    return open;
}

// Escapes RE2 reads without error but with another meaning than Perl:
// Perl's \v and \V are vertical white space and its complement, RE2's
// \v a vertical tab alone. Returns the first one found, or nullptr.
const char* perl_only_escape(std::string_view re) {
    for (size_t i = 0; i + 1 < re.size(); ++i) {
        if (re[i] != '\\')
            continue;
        if (re[i + 1] == 'v')
            return "\\v";
        if (re[i + 1] == 'V')
            return "\\V";
        ++i;
    }
    return nullptr;
}

// Reads /re/flags or m{re}flags and turns Perl's flags into RE2's
// inline ones. Nothing else is rewritten: what RE2 rejects is reported.
Result<PerlRegex> read_regex(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && s[0] == 'm' && !std::isalnum(s[1]))
        s.remove_prefix(1);
    if (s.empty() || std::isalnum(static_cast<unsigned char>(s[0])) ||
        std::isspace(static_cast<unsigned char>(s[0])))
        return Error{"", "expected a regular expression"};
    char open = s[0];
    char close = closing_delimiter(open);
    size_t i = 1;
    int depth = 1;
    for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (open != close && s[i] == open)
            ++depth;
        else if (s[i] == close && --depth == 0)
            break;
    }
    if (i >= s.size())
        return Error{"", "regular expression is not closed"};
    std::string body(s.substr(1, i - 1));
    size_t flags_end = i + 1;
    while (flags_end < s.size() &&
           std::isalpha(static_cast<unsigned char>(s[flags_end])))
        ++flags_end;
    std::string_view flags = s.substr(i + 1, flags_end - i - 1);
    std::string inline_flags;
    for (char f : flags) {
        if (f == 'i' || f == 's' || f == 'm')
            inline_flags += f;
        else if (f == 'x')
            body = strip_extended(body);
        else if (f != 'g' && f != 'o')
            return Error{"",
                         fmt::format("regex flag \"{}\" is not supported", f)};
    }
    if (open != '/' && close == '/')
        return Error{"", "bad delimiter"};
    if (const char* differs = perl_only_escape(body))
        return Error{"", fmt::format("{} means another thing in RE2 than in "
                                     "Perl; write the characters out",
                                     differs)};
    PerlRegex out;
    out.pattern =
        inline_flags.empty() ? body : "(?" + inline_flags + ")" + body;
    out.rest = std::string(trim(s.substr(flags_end)));
    return out;
}

bool quietly_ignored(std::string_view directive) {
    static const char* ignored[] = {"lang",
                                    "priority",
                                    "require_version",
                                    "report",
                                    "report_safe",
                                    "add_header",
                                    "clear_headers",
                                    "loadplugin",
                                    "tryplugin",
                                    "version_tag",
                                    "required_score",
                                    "use_bayes",
                                    "bayes_auto_learn",
                                    "skip_rbl_checks",
                                    "ok_locales",
                                    "ok_languages",
                                    "dns_available",
                                    "normalize_charset",
                                    "use_auto_whitelist",
                                    "use_razor2",
                                    "use_pyzor",
                                    "use_dcc",
                                    "rewrite_header",
                                    "trusted_networks",
                                    "internal_networks",
                                    "mimeheader",
                                    "reuse",
                                    "redirector_pattern",
                                    "uridnsbl",
                                    "urirhssub",
                                    "urirhsbl",
                                    "askdns",
                                    "test"};
    for (const char* i : ignored)
        if (directive == i)
            return true;
    return false;
}

// Reads the one or four numbers of a score line. Anything else, or a
// score no rule should have, is refused: an absurd score would drown
// every other rule, or turn into infinity in the headers.
Result<std::vector<double>> read_scores(std::string_view text) {
    constexpr double max_score = 1000;
    std::vector<double> values;
    std::string_view rest = trim(text);
    while (!rest.empty()) {
        std::string word(next_word(rest));
        char* end = nullptr;
        errno = 0;
        double v = std::strtod(word.c_str(), &end);
        bool plain = std::all_of(word.begin(), word.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
                   c == '-' || c == '+' || c == 'e' || c == 'E';
        });
        if (word.empty() || *end != '\0' || !plain || errno == ERANGE ||
            !std::isfinite(v))
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

} // namespace

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

void RuleSet::parse_rule(RuleKind kind, std::string_view rest,
                         const std::string& where) {
    std::string name(next_word(rest));
    if (name.empty() || rest.empty()) {
        problems_.push_back({where, "rule needs a name and a test"});
        return;
    }
    if (!is_rule_name(name)) {
        problems_.push_back(
            {where, "a rule name is letters, digits and _ only"});
        return;
    }
    Rule parsed;
    parsed.name = name;
    parsed.kind = kind;
    parsed.where = where;
    if (rest.substr(0, 5) == "eval:" ||
        (kind == RuleKind::header &&
         rest.find(" eval:") != std::string_view::npos)) {
        problems_.push_back(
            {where, fmt::format("{}: eval rules are not supported", name)});
        return;
    }
    if (kind == RuleKind::meta) {
        parsed.expression = std::string(rest);
    } else if (kind == RuleKind::header && rest.substr(0, 7) == "exists:") {
        parsed.exists = true;
        parsed.selector = ascii_lower(trim(rest.substr(7)));
    } else {
        if (kind == RuleKind::header) {
            std::string_view header = next_word(rest);
            std::string_view op = next_word(rest);
            if (op != "=~" && op != "!~") {
                problems_.push_back(
                    {where, fmt::format("{}: expected =~ or !~", name)});
                return;
            }
            parsed.negate = op == "!~";
            parsed.selector = header == "ALL" || header == "ToCc" ||
                                      header == "EnvelopeFrom" ||
                                      header == "MESSAGEID"
                                  ? std::string(header)
                                  : ascii_lower(header);
        }
        auto regex = read_regex(rest);
        if (!regex) {
            problems_.push_back(
                {where, fmt::format("{}: {}", name, regex.error().message)});
            return;
        }
        parsed.pattern = regex->pattern;
        static const std::string unset = "[if-unset:";
        if (regex->rest.rfind(unset, 0) == 0 && regex->rest.back() == ']')
            parsed.if_unset = std::string(
                trim(std::string_view(regex->rest)
                         .substr(unset.size())
                         .substr(0, regex->rest.size() - unset.size() - 1)));
    }
    Rule& target = rule(name);
    parsed.score = target.score;
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

void RuleSet::parse_line(std::string_view raw, const std::string& where) {
    std::string uncommented = strip_comment(raw);
    std::string_view line = trim(uncommented);
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
    if (directive == "score" || directive == "describe" ||
        directive == "tflags") {
        std::string_view peek = rest;
        std::string name(next_word(peek));
        if (!is_rule_name(name)) {
            problems_.push_back(
                {where, fmt::format("{} needs a rule name of letters, digits "
                                    "and _",
                                    directive)});
            return;
        }
    }
    if (directive == "score") {
        std::string name(next_word(rest));
        auto values = read_scores(rest);
        if (!values) {
            problems_.push_back(
                {where, fmt::format("{}: {}", name, values.error().message)});
            return;
        }
        // With four scores, the third is SpamAssassin's set for Bayes on
        // and network tests off, which is how this tool runs.
        rule(name).score = values->size() == 4 ? (*values)[2] : (*values)[0];
        return;
    }
    if (directive == "describe") {
        std::string name(next_word(rest));
        rule(name).description = std::string(rest);
        return;
    }
    if (directive == "tflags") {
        std::string name(next_word(rest));
        rule(name).tflags = std::string(rest);
        return;
    }
    if (quietly_ignored(directive))
        return;
    // SpamAssassin's own folders hold thousands of settings for features
    // this tool does not have: one problem per directive, not per line.
    auto [it, first] = unknown_directives_.try_emplace(directive, where, 0);
    ++it->second.second;
}

void RuleSet::report_unknown_directives() {
    for (const auto& [directive, seen] : unknown_directives_)
        problems_.push_back(
            {seen.first,
             seen.second == 1
                 ? fmt::format("unknown directive \"{}\" ignored", directive)
                 : fmt::format("unknown directive \"{}\" ignored here and on "
                               "{} more lines",
                               directive, seen.second - 1)});
    unknown_directives_.clear();
}

void RuleSet::load_text(std::string_view text, const std::string& file) {
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
    // SpamAssassin's conventions: sub-rules count for nothing, others 1.
    // A built-in test counts only once a rule file gives it a score.
    if (rule.kind == RuleKind::builtin)
        return 0;
    return rule.name.rfind("__", 0) == 0 ? 0 : 1.0;
}

} // namespace portcullis::spam_score
