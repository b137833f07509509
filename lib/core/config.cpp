// Loading the TOML configuration and reading the shared [limits] table.
#include "core/config.hpp"

#include "core/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>

namespace portcullis::config {

namespace {

const toml::table empty_table;

// Reads limits.KEY as a whole number from 1 to most. Anything larger is
// refused, not wrapped: a limit of 3,000,000,000 read into an int became
// negative, and every message past it.
template <class T>
constexpr int64_t largest_of =
    std::numeric_limits<T>::max() > std::numeric_limits<int64_t>::max()
        ? std::numeric_limits<int64_t>::max()
        : static_cast<int64_t>(std::numeric_limits<T>::max());

template <class T>
Status read_limit(const Config& config, const toml::table& limits,
                  std::string_view key, T& out, int64_t most = largest_of<T>) {
    const toml::node* node = limits.get(key);
    if (!node)
        return {};
    auto value = node->value<int64_t>();
    if (!value || *value <= 0 || *value > most)
        return Error{where(config, *node),
                     fmt::format("limits.{} must be a whole number from 1 "
                                 "to {}",
                                 key, most),
                     ExitCode::config};
    out = static_cast<T>(*value);
    return {};
}

constexpr int max_nesting = 128;

// Returns the line on which keys, tables or arrays nest deeper than
// max_nesting, or 0. toml++ recurses once per level, so a 100 KB file of
// dotted keys would otherwise overflow the stack; a domain administrator
// who can edit only their own file must not crash the gateway.
size_t too_deep_line(std::string_view text) {
    int brackets = 0;
    int dots = 0;
    size_t line = 1;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\n') {
            ++line;
            dots = 0;
            continue;
        }
        if (quote) {
            if (c == '\\' && quote == '"')
                ++i;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '#') {
            while (i + 1 < text.size() && text[i + 1] != '\n')
                ++i;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[' || c == '{') {
            ++brackets;
        } else if (c == ']' || c == '}') {
            --brackets;
        } else if (c == '.') {
            ++dots;
        }
        if (brackets + dots > max_nesting)
            return line;
    }
    return 0;
}

// Closes a descriptor at scope end.
struct Descriptor {
    int fd = -1;
    ~Descriptor() {
        if (fd >= 0)
            ::close(fd);
    }
};

// Reads a regular file of at most max_bytes. A FIFO would block the run
// and /dev/zero would never end, and a domain file is in the hands of
// that domain's administrator: only regular files are read, and never
// more than the cap, even if the file grows while it is read.
Result<std::string> read_file(const std::string& path, size_t max_bytes) {
    Descriptor file;
    file.fd =
        ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (file.fd < 0)
        return Error{path, std::strerror(errno), ExitCode::config};
    struct stat st {};
    if (::fstat(file.fd, &st) != 0)
        return Error{path, std::strerror(errno), ExitCode::config};
    // A folder reads as empty text, which would run on the defaults.
    if (S_ISDIR(st.st_mode))
        return Error{path, "a folder, not a configuration file",
                     ExitCode::config};
    if (!S_ISREG(st.st_mode))
        return Error{path, "not a regular file", ExitCode::config};
    auto too_big = [&] {
        return Error{path, fmt::format("larger than {} bytes", max_bytes),
                     ExitCode::config};
    };
    if (static_cast<uintmax_t>(st.st_size) > max_bytes)
        return too_big();
    std::string text;
    char buffer[65536];
    while (text.size() <= max_bytes) {
        ssize_t got = ::read(file.fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error{path, std::strerror(errno), ExitCode::config};
        if (got == 0)
            return text;
        text.append(buffer, static_cast<size_t>(got));
    }
    return too_big();
}

// The sections of the main file: the programs of the design (built or
// not yet), the shared limits and the domains policy-check calls ours.
constexpr std::string_view main_sections[] = {
    "limits",      "local_domains", "smtp-guard",   "mime-split",
    "av-scan",     "spam-score",    "policy-check", "wiretap",
    "archive-put", "report",        "portcullisd"};

// One unknown key, kept with its line so problems print in file order
// (a toml::table iterates its keys sorted by name).
struct Problem {
    size_t line;
    std::string text;
};

bool declared(const Keys& keys, std::string_view path) {
    return std::any_of(keys.paths.begin(), keys.paths.end(),
                       [&](const std::string& known) { return known == path; });
}

// Whether some declared path lies below path, so its table is walked.
bool declared_below(const Keys& keys, std::string_view path) {
    return std::any_of(
        keys.paths.begin(), keys.paths.end(), [&](const std::string& known) {
            return known.size() > path.size() && known.starts_with(path) &&
                   known[path.size()] == '.';
        });
}

// Whether a `locked` or `allow_looser` entry names a setting: a declared
// key, one below a declared "X.*", or one below a key declared whole
// (policy-check's "rule.ID").
bool names_setting(const Keys& keys, std::string_view entry) {
    if (declared(keys, entry))
        return true;
    size_t dot = entry.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == entry.size())
        return false;
    std::string_view parent = entry.substr(0, dot);
    return declared(keys, std::string(parent) + ".*") ||
           (declared(keys, parent) && !declared_below(keys, parent));
}

// The entries of a `locked` or `allow_looser` list are keys too: a typo
// there would leave a setting unlocked, and say nothing.
void check_entries(const toml::node& list, std::string_view name,
                   const Keys& keys, std::string_view file,
                   std::string_view section, std::vector<Problem>& out) {
    const toml::array* entries = list.as_array();
    if (!entries)
        return;
    for (const toml::node& entry : *entries) {
        auto text = entry.value<std::string_view>();
        if (!text)
            continue;
        size_t line = entry.source().begin.line;
        // A key no lower level may set, or one of these lists itself,
        // is never locked nor loosened: the entry does nothing.
        bool system_only =
            std::find(keys.system_only.begin(), keys.system_only.end(),
                      *text) != keys.system_only.end();
        if (system_only || *text == "locked" || *text == "allow_looser") {
            out.push_back(
                {line,
                 fmt::format("{}:{}: \"{}\" in {} of [{}] has no effect: {}",
                             file.empty() ? "-" : file, line, *text, name,
                             section,
                             system_only ? "it is read from the system "
                                           "configuration alone"
                                         : "the lists are not settings a level "
                                           "locks or loosens")});
            continue;
        }
        if (names_setting(keys, *text))
            continue;
        out.push_back(
            {line, fmt::format("{}:{}: unknown key \"{}\" in {} of [{}]",
                               file.empty() ? "-" : file, line, *text, name,
                               section)});
    }
}

void walk(const toml::table& table, const Keys& keys, std::string_view file,
          std::string_view section, const std::string& path,
          std::vector<Problem>& out) {
    for (auto&& [key, node] : table) {
        std::string name(key.str());
        size_t line = node.source().begin.line;
        // "thresholds.tag" in quotes is one key of that name, which no
        // tool reads: it must not pass for the dotted path it looks like.
        if (name.find('.') != std::string::npos) {
            std::string at = path.empty() ? "" : path + ".";
            out.push_back(
                {line, fmt::format("{}:{}: unknown key \"{}\\\"{}\\\"\" in "
                                   "[{}] (a quoted key with dots)",
                                   file.empty() ? "-" : file, line, at, name,
                                   section)});
            continue;
        }
        std::string at = path.empty() ? name : path + "." + name;
        if (path.empty() && (name == "locked" || name == "allow_looser") &&
            declared(keys, name))
            check_entries(node, name, keys, file, section, out);
        if (declared(keys, at) || declared(keys, path + ".*"))
            continue;
        // A table written as a value ("bayes = 5") is a known key of the
        // wrong type, which the tool's type check names; calling it
        // unknown too would send the reader looking for a typo.
        if (declared_below(keys, at)) {
            if (const toml::table* below = node.as_table())
                walk(*below, keys, file, section, at, out);
            continue;
        }
        std::string instead;
        for (const auto& [old, hint] : keys.retired)
            if (old == at)
                instead = ": " + hint;
        out.push_back({line, fmt::format("{}:{}: unknown key \"{}\" in [{}]{}",
                                         file.empty() ? "-" : file, line, at,
                                         section, instead)});
    }
}

std::vector<std::string> in_file_order(std::vector<Problem> problems) {
    std::stable_sort(
        problems.begin(), problems.end(),
        [](const Problem& a, const Problem& b) { return a.line < b.line; });
    std::vector<std::string> out;
    for (Problem& problem : problems)
        out.push_back(std::move(problem.text));
    return out;
}

} // namespace

std::vector<std::string> unknown_keys(const toml::table& table,
                                      const Keys& keys, std::string_view file,
                                      std::string_view section) {
    std::vector<Problem> out;
    walk(table, keys, file, section, "", out);
    return in_file_order(std::move(out));
}

bool names_unknown_section(std::string_view problem) {
    return problem.find(": unknown section \"") != std::string_view::npos;
}

std::vector<std::string> unknown_keys(const Config& config) {
    std::vector<Problem> out;
    for (auto&& [key, node] : config.root) {
        if (std::find(std::begin(main_sections), std::end(main_sections),
                      key.str()) == std::end(main_sections))
            out.push_back({node.source().begin.line,
                           fmt::format("{}: unknown section \"{}\"",
                                       where(config, node), key.str())});
    }
    const Keys& keys = config.keys;
    if (!keys.tool.empty())
        walk(config.tool(keys.tool), keys, config.path, keys.tool, "", out);
    return in_file_order(std::move(out));
}

std::vector<std::string> unknown_domain_keys(const Config& config,
                                             const toml::table& root,
                                             std::string_view file) {
    std::vector<Problem> out;
    const Keys& keys = config.keys;
    if (keys.tool.empty())
        return {};
    auto system_only = [&](const toml::table& table, std::string_view section) {
        for (const std::string& key : keys.system_only) {
            const toml::node* node = table.at_path(key).node();
            if (!node)
                continue;
            out.push_back(
                {node->source().begin.line,
                 fmt::format("{}:{}: {}.{} is read from the system "
                             "configuration only; ignored here",
                             file, node->source().begin.line, section, key)});
        }
    };
    if (const toml::table* table = root[keys.tool].as_table()) {
        walk(*table, keys, file, keys.tool, "", out);
        system_only(*table, keys.tool);
    }
    if (const toml::table* users = root["users"].as_table()) {
        for (auto&& [user, node] : *users) {
            const toml::table* settings = node.as_table();
            const toml::table* table =
                settings ? (*settings)[keys.tool].as_table() : nullptr;
            if (!table)
                continue;
            std::string section =
                fmt::format("users.\"{}\".{}", user.str(), keys.tool);
            walk(*table, keys, file, section, "", out);
            system_only(*table, section);
        }
    }
    return in_file_order(std::move(out));
}

const toml::table& Config::tool(std::string_view name) const {
    if (const toml::table* table = root[name].as_table())
        return *table;
    return empty_table;
}

std::string where(const Config& config, const toml::node& node) {
    return fmt::format("{}:{}", config.path.empty() ? "-" : config.path,
                       node.source().begin.line);
}

bool has_kind(const toml::node& node, Kind kind) {
    switch (kind) {
    case Kind::text:
        return node.is_string();
    case Kind::text_list: {
        const toml::array* list = node.as_array();
        return list && std::all_of(list->begin(), list->end(),
                                   [](const auto& n) { return n.is_string(); });
    }
    case Kind::number: {
        auto value = node.value<double>();
        return value && std::isfinite(*value);
    }
    case Kind::count:
        return node.is_integer() && *node.value<int64_t>() >= 0;
    }
    return false;
}

const char* kind_text(Kind kind) {
    switch (kind) {
    case Kind::text:
        return "a string";
    case Kind::text_list:
        return "a list of strings";
    case Kind::number:
        return "a number";
    case Kind::count:
        return "a whole number, 0 or more";
    }
    return "";
}

namespace {

// Whether a value of the right kind lies in the range it must.
bool in_range(const toml::node& node, const KeyKind& want) {
    if (want.kind != Kind::number && want.kind != Kind::count)
        return true;
    // A whole number past 2^53 has no double toml++ will give: it is
    // read as the integer it is, and compared rounded.
    double value = want.kind == Kind::count
                       ? static_cast<double>(*node.value<int64_t>())
                       : *node.value<double>();
    const Range& r = want.range;
    return (r.min_open ? value > r.min : value >= r.min) &&
           (r.max_open ? value < r.max : value <= r.max);
}

std::string lower_end(const Range& r) {
    return fmt::format("{} {}", r.min_open ? "above" : "at least", r.min);
}

std::string upper_end(const Range& r) {
    return fmt::format("{} {}", r.max_open ? "below" : "at most", r.max);
}

} // namespace

std::string kind_text(const KeyKind& want) {
    const Range& r = want.range;
    bool low = std::isfinite(r.min);
    bool high = std::isfinite(r.max);
    if (want.kind == Kind::count) {
        double least = std::max(r.min_open ? r.min + 1 : r.min, 0.0);
        if (!high)
            return fmt::format("a whole number, {} or more", least);
        return fmt::format("a whole number from {} to {}", least,
                           r.max_open ? r.max - 1 : r.max);
    }
    if (want.kind != Kind::number || (!low && !high))
        return kind_text(want.kind);
    if (low && high)
        return fmt::format("a number, {} and {}", lower_end(r), upper_end(r));
    return fmt::format("a number, {}", low ? lower_end(r) : upper_end(r));
}

std::string source_where(const toml::node& node) {
    const auto& path = node.source().path;
    return fmt::format("{}:{}", path && !path->empty() ? *path : "-",
                       node.source().begin.line);
}

namespace {

// Returns the table above a dotted key that holds a value instead
// ("bayes = 5" for "bayes.min_learned"), with its path, or nullptr.
const toml::node* value_for_table(const toml::table& table,
                                  std::string_view key, std::string& path) {
    for (size_t dot = key.find('.'); dot != std::string_view::npos;
         dot = key.find('.', dot + 1)) {
        path = key.substr(0, dot);
        const toml::node* node = table.at_path(path).node();
        if (node && !node->is_table())
            return node;
    }
    return nullptr;
}

} // namespace

std::vector<std::pair<size_t, std::string>>
kind_problems(const toml::table& table, std::span<const KeyKind> kinds) {
    std::vector<std::pair<size_t, std::string>> out;
    std::vector<const toml::node*> named;
    for (const KeyKind& want : kinds) {
        // A table written as a value would read as no table at all,
        // every setting in it silently at its default.
        std::string path;
        if (const toml::node* node = value_for_table(table, want.key, path)) {
            if (std::find(named.begin(), named.end(), node) != named.end())
                continue;
            named.push_back(node);
            out.emplace_back(node->source().begin.line,
                             fmt::format("{}: {} must be a table of settings",
                                         source_where(*node), path));
            continue;
        }
        const toml::node* node = table.at_path(want.key).node();
        if (node && (!has_kind(*node, want.kind) || !in_range(*node, want)))
            out.emplace_back(node->source().begin.line,
                             fmt::format("{}: {} must be {}",
                                         source_where(*node), want.key,
                                         kind_text(want)));
    }
    return out;
}

// A section written as a value ("policy-check = 5") would read as no
// section at all, every setting in it silently at its default.
Status check_sections(const Config& config) {
    static const char* sections[] = {"limits",     "mime-split",   "av-scan",
                                     "spam-score", "policy-check", "wiretap",
                                     "report",     "users"};
    auto check = [&](const toml::table& table, std::string_view prefix,
                     std::string_view name) -> Status {
        const toml::node* node = table.get(name);
        if (!node || node->is_table())
            return {};
        return Error{
            where(config, *node),
            fmt::format("{}{} must be a table of settings", prefix, name),
            ExitCode::config};
    };
    for (const char* name : sections)
        if (Status s = check(config.root, "", name); !s)
            return s;
    if (const toml::table* users = config.root["users"].as_table()) {
        for (auto&& [user, node] : *users) {
            if (!node.is_table())
                return Error{where(config, node),
                             fmt::format("users.\"{}\" must be a table of "
                                         "settings",
                                         terminal_safe(user.str())),
                             ExitCode::config};
            std::string prefix =
                fmt::format("users.\"{}\".", terminal_safe(user.str()));
            for (const char* name : sections)
                if (Status s = check(*node.as_table(), prefix, name); !s)
                    return s;
        }
    }
    return {};
}

Result<Config> load(const std::string& path, bool named_on_purpose,
                    size_t max_bytes) {
    Config config;
    if (path.empty())
        return Error{"--config", "an empty path names no file",
                     ExitCode::config};
    struct stat st {};
    bool found = ::stat(path.c_str(), &st) == 0;
    if (!found && !named_on_purpose)
        return config;
    config.path = path;
    auto text = read_file(path, max_bytes);
    if (!text)
        return text.error();
    if (size_t line = too_deep_line(*text))
        return Error{fmt::format("{}:{}", path, line),
                     fmt::format("nested deeper than {} levels", max_nesting),
                     ExitCode::config};
    try {
        config.root = toml::parse(*text, path);
    } catch (const toml::parse_error& e) {
        std::string_view what = e.description();
        if (e.source().begin.line == 0)
            return Error{path, std::string(what), ExitCode::config};
        return Error{fmt::format("{}:{}", path, e.source().begin.line),
                     std::string(what), ExitCode::config};
    }
    if (Status s = check_sections(config); !s)
        return s.error();
    return config;
}

std::string resolve_path(const Config& config, std::string_view path) {
    if (path.empty() || path.front() == '/' || config.path.empty())
        return std::string(path);
    size_t slash = config.path.rfind('/');
    if (slash == std::string::npos)
        return std::string(path);
    return config.path.substr(0, slash + 1) + std::string(path);
}

Result<std::string> path_value(const Config& config, const toml::node& node,
                               std::string_view key) {
    auto text = node.value<std::string>();
    if (!text)
        return Error{where(config, node),
                     fmt::format("{} must be a path (a string)", key),
                     ExitCode::config};
    if (text->empty())
        return Error{where(config, node), fmt::format("{} is empty", key),
                     ExitCode::config};
    // Paths are printed in listings, logs and notices: a line break would
    // forge a line there, an escape sequence drive a terminal.
    if (terminal_safe(*text) != *text)
        return Error{where(config, node),
                     fmt::format("{} holds a control character", key),
                     ExitCode::config};
    return resolve_path(config, *text);
}

Status apply_limits(const Config& config, Limits& limits) {
    const toml::table* table = config.root["limits"].as_table();
    if (!table)
        return {};
    for (auto&& [key, node] : *table) {
        static const char* known[] = {
            "envelope_line_bytes", "message_bytes",    "header_block_bytes",
            "header_line_bytes",   "mime_depth",       "mime_parts",
            "decoded_bytes",       "parse_timeout_ms", "header_fields",
            "domain_file_bytes",   "expansion_ratio",
        };
        bool found = false;
        for (const char* name : known)
            found = found || key.str() == name;
        if (!found)
            return Error{where(config, node),
                         fmt::format("unknown limit \"{}\"", key.str()),
                         ExitCode::config};
    }
    // A record's envelope and its verdicts take a few hundred bytes at
    // least: below this no record could ever be written.
    constexpr uint64_t min_envelope_line = 4096;
    if (const toml::node* node = table->get("envelope_line_bytes")) {
        auto value = node->value<int64_t>();
        if (value && *value > 0 &&
            static_cast<uint64_t>(*value) < min_envelope_line)
            return Error{where(config, *node),
                         fmt::format("limits.envelope_line_bytes must be at "
                                     "least {}",
                                     min_envelope_line),
                         ExitCode::config};
    }
    Status s;
    if (!(s = read_limit(config, *table, "envelope_line_bytes",
                         limits.envelope_line_bytes)) ||
        !(s = read_limit(config, *table, "message_bytes",
                         limits.message_bytes)) ||
        !(s = read_limit(config, *table, "header_block_bytes",
                         limits.header_block_bytes)) ||
        !(s = read_limit(config, *table, "header_fields",
                         limits.header_fields)) ||
        !(s = read_limit(config, *table, "header_line_bytes",
                         limits.header_line_bytes)) ||
        !(s = read_limit(config, *table, "mime_depth", limits.mime_depth,
                         Limits::most_mime_depth)) ||
        !(s = read_limit(config, *table, "mime_parts", limits.mime_parts)) ||
        !(s = read_limit(config, *table, "decoded_bytes",
                         limits.decoded_bytes)) ||
        !(s = read_limit(config, *table, "expansion_ratio",
                         limits.expansion_ratio)) ||
        !(s = read_limit(config, *table, "parse_timeout_ms",
                         limits.parse_timeout_ms)) ||
        !(s = read_limit(config, *table, "domain_file_bytes",
                         limits.domain_file_bytes)))
        return s;
    return {};
}

} // namespace portcullis::config
