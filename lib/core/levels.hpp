// Settings at three levels: system (the main file), domain and user (both
// in domains/DOMAIN.toml beside it). A lower level may only make a setting
// stricter, unless every level above lists it in `allow_looser`; a setting
// listed in `locked` cannot be changed below at all. See
// share/doc/levels.md.
#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

#include <sys/stat.h>

#include <cstdint>
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
    /// error naming file:line, and stays one until the file changes.
    Result<Layers> layers(std::string_view rcpt);

    /// Returns the tables that apply to the domain itself and then to
    /// each user its file names, read as layers() reads them; none when
    /// the domain has no file.
    Result<std::vector<Layers>> domain_layers(const std::string& domain);

    /// Returns the domain whose file holds rcpt's levels, or nullopt when
    /// rcpt's domain cannot name a file (see safe_domain).
    static std::optional<std::string> file_domain(std::string_view rcpt);

    /// Makes layers() check, once for each domain it is next asked
    /// about, whether the domain's file changed (device, inode, size,
    /// times) and read it again if so; a tool calls it once per record.
    void recheck() { ++epoch_; }

    /// Returns a number that changes whenever a domain file is read again
    /// or dropped: tables and lists of the old one are then gone, and
    /// whatever was kept by their address must be let go.
    uint64_t generation() const { return generation_; }

    /// Returns the folder domain files are read from; empty: none.
    const std::string& domains_dir() const { return domains_dir_; }

    /// Loads one domain file as layers() does: a regular file of at most
    /// [limits] domain_file_bytes, with the tool's keys.
    Result<config::Config> load_domain_file(const std::string& path) const;

    /// Resolves a number through the layers.
    static Resolved<double> number(const Layers& layers, std::string_view key,
                                   double fallback, Stricter stricter);

    /// Resolves a string that only changes where allowed.
    static Resolved<std::string>
    text(const Layers& layers, std::string_view key, std::string fallback);

    /// Returns a list gathered from every level: lists that only add
    /// restrictions (block lists) grow below unless locked above.
    static Resolved<std::vector<std::string>> list_union(const Layers& layers,
                                                         std::string_view key);

    /// Returns a list gathered where each level may add to it: entries
    /// that loosen (allow lists) count below system level only where
    /// loosening reached that level and no level above locked it.
    static Resolved<std::vector<std::string>>
    loosening_list(const Layers& layers, std::string_view key);

    /// Returns the lists list_union gathers, one per level, as written,
    /// for callers that read each list's entries once.
    static Resolved<std::vector<const toml::array*>>
    union_arrays(const Layers& layers, std::string_view key);

    /// Returns the lists loosening_list gathers, one per level.
    static Resolved<std::vector<const toml::array*>>
    loosening_arrays(const Layers& layers, std::string_view key);

private:
    struct DomainFile {
        std::string path;
        toml::table root;
        /// [users."ADDRESS"] tables by mail::address_key of ADDRESS.
        std::map<std::string, const toml::table*> users;
    };

    /// What stat(2) said of a domain file: an edit, a replacement, a new
    /// link target, a chmod or its removal changes it.
    struct Identity {
        int error = 0; ///< errno of a failed stat; ENOENT: no file
        dev_t device = 0;
        ino_t inode = 0;
        off_t size_bytes = 0;
        timespec modified{};
        timespec changed{};

        bool operator==(const Identity& other) const;
    };

    /// A domain's file as last read, and when it was last checked.
    struct Cached {
        Identity identity;
        uint64_t checked_epoch = 0;
        Result<std::unique_ptr<DomainFile>> file;
    };

    static Resolved<std::vector<const toml::array*>>
    gather(const Layers& layers, std::string_view key, bool loosens);
    static Resolved<std::vector<std::string>>
    strings(Resolved<std::vector<const toml::array*>> arrays);
    Result<const DomainFile*> domain_file(const std::string& domain);
    static void index_users(DomainFile& file);
    Result<std::unique_ptr<DomainFile>>
    read_domain_file(const std::string& path, const Identity& identity) const;
    std::string domain_path(const std::string& domain) const;
    static Identity identity_of(const std::string& path);

    const config::Config& config_;
    std::string tool_;
    std::string domains_dir_;
    size_t max_file_bytes_ = Limits{}.domain_file_bytes;
    std::map<std::string, Cached> domains_;
    uint64_t epoch_ = 0;
    uint64_t generation_ = 0;
};

/// Returns why level (0 system, 1 domain, 2 user) may not change key at
/// all, as "user refused: locked at system level", or an empty string.
std::string lock_reason(const Layers& layers, size_t level,
                        std::string_view key);

/// Returns nullopt when level may make key looser: every level above it,
/// down from the system, lists key in allow_looser. Otherwise returns an
/// empty string when the level just above does not list it, or why the
/// right it lists did not reach it ("domain level allows it, system
/// level does not").
std::optional<std::string> loosen_refusal(const Layers& layers, size_t level,
                                          std::string_view key);

/// Returns true when level may make key looser (see loosen_refusal).
bool may_loosen(const Layers& layers, size_t level, std::string_view key);

/// Returns the domain of an address, lower case, or nullopt when it is
/// not safe to use as a file name (it is used to find domains/*.toml).
std::optional<std::string> safe_domain(std::string_view address);

} // namespace portcullis::levels
