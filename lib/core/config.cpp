// Loading the TOML configuration and reading the shared [limits] table.
#include "core/config.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace portcullis::config {

namespace {

const toml::table empty_table;

template <class T>
Status read_limit(const Config& config, const toml::table& limits,
                  std::string_view key, T& out) {
    const toml::node* node = limits.get(key);
    if (!node)
        return {};
    auto value = node->value<int64_t>();
    if (!value || *value <= 0)
        return Error{where(config, *node),
                     fmt::format("limits.{} must be a positive integer", key),
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

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{path, std::strerror(errno), ExitCode::config};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

const toml::table& Config::tool(std::string_view name) const {
    if (const toml::table* table = root[name].as_table())
        return *table;
    return empty_table;
}

std::string where(const Config& config, const toml::node& node) {
    return fmt::format("{}:{}", config.path.empty() ? "-" : config.path,
                       node.source().begin.line);
}

Result<Config> load(const std::string& path, bool named_on_purpose) {
    Config config;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && !named_on_purpose)
        return config;
    config.path = path;
    auto text = read_file(path);
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
    return config;
}

Status apply_limits(const Config& config, Limits& limits) {
    const toml::table* table = config.root["limits"].as_table();
    if (!table)
        return {};
    for (auto&& [key, node] : *table) {
        static const char* known[] = {
            "envelope_line_bytes", "message_bytes",    "header_block_bytes",
            "header_line_bytes",   "mime_depth",       "mime_parts",
            "decoded_bytes",       "parse_timeout_ms",
        };
        bool found = false;
        for (const char* name : known)
            found = found || key.str() == name;
        if (!found)
            return Error{where(config, node),
                         fmt::format("unknown limit \"{}\"", key.str()),
                         ExitCode::config};
    }
    Status s;
    if (!(s = read_limit(config, *table, "envelope_line_bytes",
                         limits.envelope_line_bytes)) ||
        !(s = read_limit(config, *table, "message_bytes",
                         limits.message_bytes)) ||
        !(s = read_limit(config, *table, "header_block_bytes",
                         limits.header_block_bytes)) ||
        !(s = read_limit(config, *table, "header_line_bytes",
                         limits.header_line_bytes)) ||
        !(s = read_limit(config, *table, "mime_depth", limits.mime_depth)) ||
        !(s = read_limit(config, *table, "mime_parts", limits.mime_parts)) ||
        !(s = read_limit(config, *table, "decoded_bytes",
                         limits.decoded_bytes)) ||
        !(s = read_limit(config, *table, "parse_timeout_ms",
                         limits.parse_timeout_ms)))
        return s;
    return {};
}

} // namespace portcullis::config
