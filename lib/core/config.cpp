// Loading the TOML configuration and reading the shared [limits] table.
#include "core/config.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

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
    try {
        config.root = toml::parse_file(path);
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
