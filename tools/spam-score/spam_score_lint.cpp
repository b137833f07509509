// --lint: everything spam-score would read, checked before mail meets
// it. The rules, the main file, and every domain file beside it, since a
// domain's typo otherwise shows only when that domain's mail arrives.
#include "spam_score.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"
#include "mail/address.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <map>

namespace portcullis::spam_score {

namespace {

// Returns the domain files of a folder, sorted; hidden files are not
// domain files. A missing folder holds none.
Result<std::vector<std::string>> domain_files(const std::string& dir) {
    std::vector<std::string> out;
    DIR* folder = ::opendir(dir.c_str());
    if (!folder) {
        if (errno == ENOENT)
            return out;
        return Error{dir, std::strerror(errno), ExitCode::config};
    }
    while (const dirent* entry = ::readdir(folder)) {
        std::string_view name = entry->d_name;
        if (!name.starts_with('.') && name.ends_with(".toml"))
            out.push_back(dir + "/" + std::string(name));
    }
    ::closedir(folder);
    std::sort(out.begin(), out.end());
    return out;
}

std::string where(const toml::node& node, std::string_view file) {
    return fmt::format("{}:{}", file, node.source().begin.line);
}

// A domain's allow_looser passes on only what the system level allows
// it to: an entry beyond that has no effect, so it is reported.
std::vector<std::string> ungranted(const toml::table& system,
                                   const toml::table& domain,
                                   std::string_view file) {
    std::vector<std::string> out;
    const toml::array* entries = domain["allow_looser"].as_array();
    if (!entries)
        return out;
    levels::Layers layers{&system, &domain, nullptr};
    for (const toml::node& entry : *entries) {
        auto key = entry.value<std::string>();
        if (!key)
            continue;
        std::string why;
        if (!levels::lock_reason(layers, 1, *key).empty())
            why = "it is locked at system level";
        else if (!levels::may_loosen(layers, 2, *key))
            why = "the system level does not allow it";
        if (!why.empty())
            out.push_back(fmt::format("{}: allow_looser \"{}\" has no "
                                      "effect: {}",
                                      where(entry, file), *key, why));
    }
    return out;
}

// A user table is found by its address's key in the file of its domain:
// one of another domain, or a second for the same user, is never read.
std::vector<std::string> user_problems(const toml::table& users,
                                       const std::string& path) {
    std::vector<std::string> out;
    std::string name = path.substr(path.rfind('/') + 1);
    std::string domain = name.substr(0, name.size() - 5); // ".toml"
    // In file order: of two tables for one user, the first is read.
    std::vector<std::pair<size_t, std::string>> in_order;
    for (auto&& [user, node] : users)
        in_order.emplace_back(node.source().begin.line, user.str());
    std::sort(in_order.begin(), in_order.end());
    std::map<std::string, size_t> seen;
    for (const auto& [line, address] : in_order) {
        auto file = levels::Hierarchy::file_domain(address);
        if (!file || *file != domain) {
            out.push_back(fmt::format("{}:{}: user \"{}\" is not of {}; "
                                      "this table is never read",
                                      path, line, address, domain));
            continue;
        }
        auto [at, added] = seen.emplace(mail::address_key(address), line);
        if (!added)
            out.push_back(fmt::format("{}:{}: user \"{}\" is already at "
                                      "line {}; this table is never read",
                                      path, line, address, at->second));
    }
    return out;
}

// Returns every problem of one domain file: it does not load, a key is
// unknown or of the wrong type, a list entry is no known form.
std::vector<std::string> domain_problems(const config::Config& config,
                                         const levels::Hierarchy& hierarchy,
                                         const std::string& path) {
    auto loaded = hierarchy.load_domain_file(path);
    if (!loaded)
        return {loaded.error().text()};
    std::vector<std::string> out =
        config::unknown_domain_keys(config, loaded->root, path);
    std::vector<const toml::table*> tables;
    if (const toml::table* domain = loaded->root[tool_name].as_table()) {
        tables.push_back(domain);
        for (std::string& problem :
             ungranted(config.tool(tool_name), *domain, path))
            out.push_back(std::move(problem));
    }
    if (const toml::table* users = loaded->root["users"].as_table())
        for (std::string& problem : user_problems(*users, path))
            out.push_back(std::move(problem));
    if (const toml::table* users = loaded->root["users"].as_table())
        for (auto&& [user, node] : *users)
            if (const toml::table* settings = node.as_table())
                if (const toml::table* table =
                        (*settings)[tool_name].as_table())
                    tables.push_back(table);
    for (const toml::table* table : tables)
        for (std::string& problem : type_problems(*table))
            out.push_back(std::move(problem));
    return out;
}

} // namespace

ExitCode lint(const Options& options, const config::Config& config) {
    // Lint checks rules and settings; what was learned is not its concern.
    Options rules_only = options;
    rules_only.use_bayes = false;
    rules_only.use_fuzzy = false;
    auto engine = Engine::open(rules_only, config);
    if (!engine)
        log::error(engine.error().text());
    // A misspelt setting is a problem of the configuration --lint checks;
    // the main file's were printed as it loaded.
    size_t problems = config::unknown_keys(config).size();
    levels::Hierarchy hierarchy(config, tool_name);
    auto files = domain_files(hierarchy.domains_dir());
    if (!files) {
        log::error(files.error().text());
        ++problems;
    }
    for (const std::string& path : files ? *files : std::vector<std::string>{})
        for (const std::string& problem :
             domain_problems(config, hierarchy, path)) {
            log::error(terminal_safe(problem));
            ++problems;
        }
    if (!engine)
        return engine.error().exit_code;
    problems += (*engine)->rules().problems().size();
    size_t rules = (*engine)->rules().size();
    std::printf("%zu rule%s loaded, %zu problem%s\n", rules,
                rules == 1 ? "" : "s", problems, problems == 1 ? "" : "s");
    return problems == 0 ? ExitCode::ok : ExitCode::config;
}

} // namespace portcullis::spam_score
