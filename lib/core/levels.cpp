// Resolving settings through the system, domain and user levels. Every
// refusal is kept with its reason so tools can log why a user's setting
// did not take effect.
#include "core/levels.hpp"
#include "core/log.hpp"
#include "mail/address.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::levels {

namespace {

constexpr const char* level_names[] = {"system", "domain", "user"};

const toml::node* lookup(const toml::table* table, std::string_view key) {
    if (!table)
        return nullptr;
    return table->at_path(key).node();
}

bool listed(const toml::table* table, std::string_view list,
            std::string_view key) {
    if (!table)
        return false;
    const toml::array* entries = (*table)[list].as_array();
    if (!entries)
        return false;
    for (const toml::node& entry : *entries) {
        if (auto value = entry.value<std::string_view>();
            value && *value == key)
            return true;
    }
    return false;
}

std::array<const toml::table*, 3> as_array(const Layers& layers) {
    return {layers.system, layers.domain, layers.user};
}

} // namespace

std::string lock_reason(const Layers& layers, size_t level,
                        std::string_view key) {
    auto tables = as_array(layers);
    for (size_t above = 0; above < level; ++above) {
        if (listed(tables[above], "locked", key))
            return fmt::format("{} refused: locked at {} level",
                               level_names[level], level_names[above]);
    }
    return "";
}

// A right to loosen passes down one level at a time: the level above
// must list the key in allow_looser and hold the right itself, so a
// domain file cannot grant its users what the system never granted it.
std::optional<std::string> loosen_refusal(const Layers& layers, size_t level,
                                          std::string_view key) {
    auto tables = as_array(layers);
    for (size_t below = level; below > 0; --below) {
        size_t above = below - 1;
        if (listed(tables[above], "allow_looser", key))
            continue;
        if (below == level)
            return fmt::format("{} level does not allow it",
                               level_names[above]);
        return fmt::format("{} level allows it, {} level does not",
                           level_names[below], level_names[above]);
    }
    return std::nullopt;
}

bool may_loosen(const Layers& layers, size_t level, std::string_view key) {
    return !loosen_refusal(layers, level, key);
}

namespace {

// Adds why a right to loosen did not reach this level, when it is more
// than "the level above does not allow it".
std::string with_reason(std::string refusal,
                        const std::optional<std::string>& why) {
    if (why && !why->empty())
        refusal += fmt::format(" ({})", *why);
    return refusal;
}

void append_strings(const toml::array* entries, std::vector<std::string>& out) {
    for (const toml::node& entry : *entries) {
        if (auto value = entry.value<std::string>())
            out.push_back(*value);
    }
}

} // namespace

std::optional<std::string> safe_domain(std::string_view address) {
    size_t at = address.rfind('@');
    std::string_view domain =
        at == std::string_view::npos ? address : address.substr(at + 1);
    if (domain.empty() || domain.size() > 253 || domain.front() == '.' ||
        domain.front() == '-' || domain.find("..") != std::string_view::npos)
        return std::nullopt;
    std::string out;
    for (char c : domain) {
        char lower =
            static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool ok = (lower >= 'a' && lower <= 'z') ||
                  (lower >= '0' && lower <= '9') || lower == '.' ||
                  lower == '-';
        if (!ok)
            return std::nullopt;
        out.push_back(lower);
    }
    return out;
}

Hierarchy::Hierarchy(const config::Config& config, std::string tool,
                     std::string domains_dir)
    : config_(config), tool_(std::move(tool)),
      domains_dir_(std::move(domains_dir)) {
    if (domains_dir_.empty() && !config_.path.empty())
        domains_dir_ = config::resolve_path(config_, "domains");
    // Checked when the configuration loaded: a bad value is an error
    // there, and the default stands here.
    Limits limits;
    if (config::apply_limits(config_, limits))
        max_file_bytes_ = limits.domain_file_bytes;
}

// Users are found by their address key, however the file writes them.
// Two tables for one user would leave which applies to table order, so
// the first in the file is used and the other named.
void Hierarchy::index_users(DomainFile& file) {
    const toml::table* users = file.root["users"].as_table();
    if (!users)
        return;
    for (auto&& [name, node] : *users) {
        const toml::table* table = node.as_table();
        if (!table)
            continue;
        auto [at, added] =
            file.users.emplace(mail::address_key(name.str()), table);
        if (added)
            continue;
        const toml::table* other = at->second;
        if (table->source().begin.line < other->source().begin.line)
            std::swap(at->second, table);
        log::warning(fmt::format("{}:{}: this user is already at line {}; "
                                 "ignored",
                                 file.path, table->source().begin.line,
                                 at->second->source().begin.line));
    }
}

Result<config::Config>
Hierarchy::load_domain_file(const std::string& path) const {
    auto loaded = config::load(path, true, max_file_bytes_);
    if (!loaded)
        return loaded;
    loaded->keys = config_.keys;
    return loaded;
}

bool Hierarchy::Identity::operator==(const Identity& other) const {
    auto same = [](const timespec& a, const timespec& b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
    };
    return error == other.error && device == other.device &&
           inode == other.inode && size_bytes == other.size_bytes &&
           same(modified, other.modified) && same(changed, other.changed);
}

// The change time is compared too: a chmod that makes an unreadable
// file readable, or a copy that keeps the old modification time, is
// seen by it alone.
// XXX: an in-place edit that keeps the size within one tick of the file
// system's clock after the last read (a few ms) is not seen until the
// file changes again; a file renamed over the old one always is.
Hierarchy::Identity Hierarchy::identity_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Identity{errno, 0, 0, 0, {}, {}};
    return Identity{0,          st.st_dev,  st.st_ino,
                    st.st_size, st.st_mtim, st.st_ctim};
}

std::string Hierarchy::domain_path(const std::string& domain) const {
    return domains_dir_ + "/" + domain + ".toml";
}

Result<std::unique_ptr<Hierarchy::DomainFile>>
Hierarchy::read_domain_file(const std::string& path,
                            const Identity& identity) const {
    std::unique_ptr<DomainFile> none;
    if (identity.error == ENOENT || identity.error == ENOTDIR)
        return none;
    if (identity.error != 0)
        return Error{path, std::strerror(identity.error), ExitCode::config};
    auto loaded = load_domain_file(path);
    if (!loaded)
        return loaded.error();
    // Checked here, as each file loads: a domain administrator's typo
    // is as silent as the system administrator's otherwise.
    if (config_.keys.tool == tool_) {
        for (const std::string& problem :
             config::unknown_domain_keys(config_, loaded->root, path))
            log::warning(problem);
    }
    auto file = std::make_unique<DomainFile>(
        DomainFile{path, std::move(loaded->root), {}});
    index_users(*file);
    return file;
}

// A file is read when it is first needed and again only when its
// identity changed, which is checked once per record (recheck): a
// domain administrator's edit counts from the next record on, and a
// broken or hostile file costs one read per change, not one per message.
Result<const Hierarchy::DomainFile*>
Hierarchy::domain_file(const std::string& domain) {
    if (domains_dir_.empty())
        return nullptr;
    std::string path = domain_path(domain);
    auto cached = domains_.find(domain);
    if (cached == domains_.end()) {
        Identity identity = identity_of(path);
        cached = domains_
                     .emplace(domain, Cached{identity, epoch_,
                                             read_domain_file(path, identity)})
                     .first;
    } else if (cached->second.checked_epoch != epoch_) {
        Identity identity = identity_of(path);
        cached->second.checked_epoch = epoch_;
        if (!(identity == cached->second.identity)) {
            cached->second.file = read_domain_file(path, identity);
            cached->second.identity = identity;
            ++generation_;
        }
    }
    const auto& file = cached->second.file;
    if (!file)
        return file.error();
    return static_cast<const DomainFile*>(file.value().get());
}

// "bob"@, <bob@...>, BOB@ and a root-form or U-label domain all find
// bob's domain file.
std::optional<std::string> Hierarchy::file_domain(std::string_view rcpt) {
    return safe_domain(mail::domain_of(mail::address_key(rcpt)));
}

Result<Layers> Hierarchy::layers(std::string_view rcpt) {
    Layers layers;
    layers.system = &config_.tool(tool_);
    auto domain = file_domain(rcpt);
    if (!domain)
        return layers;
    auto file = domain_file(*domain);
    if (!file)
        return file.error();
    if (!*file)
        return layers;
    const toml::table& root = (*file)->root;
    layers.domain = root[tool_].as_table();
    // Found by the same key as the users were indexed by.
    const auto& users = (*file)->users;
    std::string key = mail::address_key(rcpt);
    auto user = users.find(key);
    // Sub-addressing: bob+lists@example.com is bob's mail, as Postfix
    // delivers it with recipient_delimiter = + (Debian's default), unless
    // that address has a table of its own. qmail's "-" is not read so:
    // mary-jane is no extension of mary.
    size_t at = key.rfind('@');
    size_t plus = key.find('+');
    if (user == users.end() && at != std::string::npos && plus != 0 &&
        plus < at)
        user = users.find(key.substr(0, plus) + key.substr(at));
    if (user != users.end())
        layers.user = (*user->second)[tool_].as_table();
    return layers;
}

Result<std::vector<Layers>>
Hierarchy::domain_layers(const std::string& domain) {
    std::vector<Layers> out;
    auto file = domain_file(domain);
    if (!file)
        return file.error();
    if (!*file)
        return out;
    const toml::table* system = &config_.tool(tool_);
    const toml::table* own = (*file)->root[tool_].as_table();
    out.push_back({system, own, nullptr});
    for (const auto& [key, user] : (*file)->users)
        out.push_back({system, own, (*user)[tool_].as_table()});
    return out;
}

Resolved<double> Hierarchy::number(const Layers& layers, std::string_view key,
                                   double fallback, Stricter stricter) {
    Resolved<double> out{fallback, "default", {}};
    auto tables = as_array(layers);
    for (size_t level = 0; level < tables.size(); ++level) {
        const toml::node* node = lookup(tables[level], key);
        if (!node)
            continue;
        auto value = node->value<double>();
        // NaN compares false both ways, so it would slip past the
        // stricter-only check below.
        if (!value || !std::isfinite(*value)) {
            out.refused.push_back(
                fmt::format("{} refused: not a number", level_names[level]));
            continue;
        }
        if (level > 0) {
            if (auto why = lock_reason(layers, level, key); !why.empty()) {
                out.refused.push_back(why);
                continue;
            }
            bool looser = stricter == Stricter::lower ? *value > out.value
                                                      : *value < out.value;
            auto why =
                looser ? loosen_refusal(layers, level, key) : std::nullopt;
            if (why) {
                out.refused.push_back(with_reason(
                    fmt::format("{} refused: {} is looser than {}",
                                level_names[level], *value, out.value),
                    why));
                continue;
            }
        }
        out.value = *value;
        out.level = level_names[level];
    }
    return out;
}

Resolved<std::string> Hierarchy::text(const Layers& layers,
                                      std::string_view key,
                                      std::string fallback) {
    Resolved<std::string> out{std::move(fallback), "default", {}};
    auto tables = as_array(layers);
    for (size_t level = 0; level < tables.size(); ++level) {
        const toml::node* node = lookup(tables[level], key);
        if (!node)
            continue;
        auto value = node->value<std::string>();
        if (!value)
            continue;
        if (level > 0) {
            if (auto why = lock_reason(layers, level, key); !why.empty()) {
                out.refused.push_back(why);
                continue;
            }
        }
        out.value = *value;
        out.level = level_names[level];
    }
    return out;
}

Resolved<std::vector<const toml::array*>>
Hierarchy::gather(const Layers& layers, std::string_view key, bool loosens) {
    Resolved<std::vector<const toml::array*>> out{{}, "default", {}};
    auto tables = as_array(layers);
    for (size_t level = 0; level < tables.size(); ++level) {
        const toml::node* node = lookup(tables[level], key);
        if (!node || !node->is_array())
            continue;
        std::string why = level > 0 ? lock_reason(layers, level, key) : "";
        auto loosen =
            loosens ? loosen_refusal(layers, level, key) : std::nullopt;
        if (why.empty() && loosen)
            why = with_reason(fmt::format("{} refused: {} is not allowed "
                                          "below",
                                          level_names[level], key),
                              loosen);
        if (!why.empty()) {
            out.refused.push_back(why);
            continue;
        }
        out.value.push_back(node->as_array());
        out.level = level_names[level];
    }
    return out;
}

Resolved<std::vector<std::string>>
Hierarchy::strings(Resolved<std::vector<const toml::array*>> arrays) {
    Resolved<std::vector<std::string>> out{
        {}, std::move(arrays.level), std::move(arrays.refused)};
    for (const toml::array* array : arrays.value)
        append_strings(array, out.value);
    return out;
}

Resolved<std::vector<const toml::array*>>
Hierarchy::union_arrays(const Layers& layers, std::string_view key) {
    return gather(layers, key, false);
}

Resolved<std::vector<const toml::array*>>
Hierarchy::loosening_arrays(const Layers& layers, std::string_view key) {
    return gather(layers, key, true);
}

Resolved<std::vector<std::string>> Hierarchy::list_union(const Layers& layers,
                                                         std::string_view key) {
    return strings(gather(layers, key, false));
}

Resolved<std::vector<std::string>>
Hierarchy::loosening_list(const Layers& layers, std::string_view key) {
    return strings(gather(layers, key, true));
}

} // namespace portcullis::levels
