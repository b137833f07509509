// Settings at three levels: system (the main file), domain and user (both
// in domains/DOMAIN.toml beside it). A lower level may only make a setting
// stricter, unless the level above lists it in `allow_looser`; a setting
// listed in `locked` cannot be changed below at all. See
// share/doc/levels.md.
#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::levels {

/// Which way a setting gets stricter.
enum class Stricter {
    lower,  ///< a smaller number is stricter (a spam threshold)
    higher, ///< a larger number is stricter (a word count weight)
};

/// A resolved setting: its value, the level it came from, and any
/// lower-level values that were refused, with why.
template <class T> struct Resolved {
    T value;
    std::string level = "default";
    std::vector<std::string> refused;
};

/// The tool tables that apply to one recipient, most general first.
struct Layers {
    const toml::table* system = nullptr;
    const toml::table* domain = nullptr;
    const toml::table* user = nullptr;
};

/// Loads domain files on demand and resolves settings for recipients.
class Hierarchy {
public:
    /// Uses config's [tool] table and domains/ beside config's file, or
    /// domains_dir when it is not empty.
    Hierarchy(const config::Config& config, std::string tool,
              std::string domains_dir = {});

    /// Returns the tables that apply to rcpt; a broken domain file is an
    /// error naming file:line.
    Result<Layers> layers(std::string_view rcpt);

    /// Resolves a number through the layers.
    static Resolved<double> number(const Layers& layers, std::string_view key,
                                   double fallback, Stricter stricter);

    /// Resolves a string that only changes where allowed.
    static Resolved<std::string>
    text(const Layers& layers, std::string_view key, std::string fallback);

    /// Returns a list gathered from every level: lists that only add
    /// restrictions (block lists) may always grow below.
    static std::vector<std::string> list_union(const Layers& layers,
                                               std::string_view key);

    /// Returns a list gathered where each level may add to it: entries
    /// that loosen (allow lists) count below system level only where the
    /// level above allows it and has not locked it.
    static Resolved<std::vector<std::string>>
    loosening_list(const Layers& layers, std::string_view key);

private:
    struct DomainFile {
        std::string path;
        toml::table root;
        /// [users."ADDRESS"] tables by mail::address_key of ADDRESS.
        std::map<std::string, const toml::table*> users;
    };

    Result<const DomainFile*> domain_file(const std::string& domain);
    static void index_users(DomainFile& file);

    const config::Config& config_;
    std::string tool_;
    std::string domains_dir_;
    std::map<std::string, std::unique_ptr<DomainFile>> domains_;
};

/// Returns the domain of an address, lower case, or nullopt when it is
/// not safe to use as a file name (it is used to find domains/*.toml).
std::optional<std::string> safe_domain(std::string_view address);

} // namespace portcullis::levels
