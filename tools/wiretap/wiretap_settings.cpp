// Reading taps from [wiretap] and matching envelopes against them.
#include "core/strings.hpp"
#include "mail/address.hpp"
#include "mail/unicode_fold.hpp"
#include "wiretap.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::wiretap {

namespace {

Error config_error(const config::Config& config, const toml::node& node,
                   std::string message) {
    return Error{config::where(config, node), std::move(message),
                 ExitCode::config};
}

// A setting of another type must not read as absent: name = 5 was "no
// name", deliver_to = ["a@x"] "no destination" and bounce_address = 5
// the null path, each said wrongly or not at all.
Result<std::string> text_setting(const config::Config& config,
                                 const toml::table& table, const char* key) {
    const toml::node* node = table.get(key);
    if (!node)
        return std::string();
    if (!node->is_string())
        return config_error(config, *node,
                            fmt::format("{} must be a string", key));
    return node->value_or(std::string());
}

// Watch entries take the forms and meaning of policy-check's address
// conditions and spam-score's sender lists (lib/mail/address_pattern):
// "*.example.com" read as a plain domain would never match, and a
// missed copy is the worst failure a tap can have. Only a list is
// taken, as policy-check takes its list settings.
Status read_watch(const config::Config& config, const toml::table& table,
                  Tap& tap) {
    const toml::node* node = table.get("watch");
    if (!node)
        return config_error(config, table, "tap needs watch");
    const toml::array* list = node->as_array();
    if (!list)
        return config_error(config, *node, "watch must be a list of strings");
    for (const toml::node& entry : *list) {
        auto text = entry.value<std::string>();
        if (!text)
            return config_error(config, entry,
                                "watch must be a list of strings");
        auto pattern = mail::parse_address_pattern(*text);
        if (!pattern)
            return config_error(config, entry, pattern.error().message);
        // Kept composed and case-folded, as every reading of an address
        // is also read (delivery_readings), so JOSÉ@ watches josé@.
        if (auto folded = mime::unicode_folded(*text)) {
            if (auto same = mail::parse_address_pattern(*folded)) {
                same->written = pattern->written;
                pattern = std::move(same);
            }
        }
        tap.watch.add(std::move(*pattern));
    }
    return {};
}

Status read_direction(const config::Config& config, const toml::table& table,
                      Tap& tap) {
    const toml::node* node = table.get("direction");
    if (!node)
        return {};
    auto text = text_setting(config, table, "direction");
    if (!text)
        return text.error();
    const std::string& direction = *text;
    tap.inbound = direction == "inbound" || direction == "both";
    tap.outbound = direction == "outbound" || direction == "both";
    if (!tap.inbound && !tap.outbound)
        return config_error(config, *node,
                            "direction must be inbound, outbound or both");
    return {};
}

Result<Tap> read_tap(const config::Config& config, const toml::table& table) {
    static const char* known[] = {"name", "watch", "direction", "maildir",
                                  "deliver_to"};
    for (auto&& [key, node] : table) {
        if (std::none_of(std::begin(known), std::end(known),
                         [&](const char* k) { return key.str() == k; }))
            return config_error(
                config, node, fmt::format("unknown tap key \"{}\"", key.str()));
    }
    Tap tap;
    tap.where = config::where(config, table);
    auto name = text_setting(config, table, "name");
    if (!name)
        return name.error();
    tap.name = std::move(*name);
    if (tap.name.empty())
        return config_error(config, table, "tap needs a name");
    // The name goes into notice subjects, log lines and --list: a CR or
    // LF would forge a header or a line, a C1 control drive a terminal,
    // a bidi control make the name read as another.
    if (terminal_safe(tap.name) != tap.name)
        return config_error(config, *table.get("name"),
                            "tap name holds a control character");
    if (auto s = read_watch(config, table, tap); !s)
        return s.error();
    // An empty list would list the tap and copy nothing: an audit that
    // reads --list must be able to trust that each tap is live.
    if (tap.watch.empty())
        return config_error(config, *table.get("watch"),
                            "watch holds no address or domain");
    if (auto s = read_direction(config, table, tap); !s)
        return s.error();
    if (const toml::node* maildir = table.get("maildir")) {
        auto path = config::path_value(config, *maildir, "maildir");
        if (!path)
            return path.error();
        tap.maildir = std::move(*path);
    }
    auto deliver_to = text_setting(config, table, "deliver_to");
    if (!deliver_to)
        return deliver_to.error();
    tap.deliver_to = std::move(*deliver_to);
    if (tap.maildir.empty() == tap.deliver_to.empty())
        return config_error(config, table,
                            "tap needs one of maildir or deliver_to");
    if (!tap.deliver_to.empty() && !mail::parse_mailbox(tap.deliver_to))
        return config_error(
            config, *table.get("deliver_to"),
            fmt::format("deliver_to \"{}\" is not an address", tap.deliver_to));
    return tap;
}

// Each character ends the base address of a local part, as Postfix's
// recipient_delimiter does: "+-" reads bob+x@ and bob-x@ as bob@. Only
// characters a local part may hold unquoted are taken; "" reads none.
Status read_separators(const config::Config& config, const toml::table& table,
                       Settings& settings) {
    auto text = text_setting(config, table, "subaddress_separators");
    if (!text)
        return text.error();
    if (!table.get("subaddress_separators"))
        return {};
    static constexpr std::string_view allowed = "!#$%&'*+-/=?^_`{|}~.";
    if (text->find_first_not_of(allowed) != std::string::npos)
        return config_error(
            config, *table.get("subaddress_separators"),
            fmt::format("subaddress_separators may hold only {}", allowed));
    settings.subaddress_separators = std::move(*text);
    return {};
}

// --list shows entries in the normal form they are compared in, a
// domain with its subdomains as "*.domain".
std::string listed_watch(const Tap& tap) {
    std::string out;
    for (const mail::AddressPattern& entry : tap.watch) {
        if (!out.empty())
            out += ',';
        if (entry.kind == mail::AddressPattern::subdomains)
            out += "*.";
        out += entry.text;
    }
    return out;
}

} // namespace

bool Tap::watches(std::string_view address) const {
    if (address.empty())
        return false;
    // A missed copy is a compliance failure: "bob"@, <bob@...>, a root
    // form domain, upper case and an IDN U-label all name the watched
    // one (the index compares normal forms).
    return watch.matches(mail::AddressKey::of(address));
}

Result<Settings> load_settings(const config::Config& config,
                               const std::string& state_dir) {
    Settings settings;
    const toml::table& table = config.tool("wiretap");
    // Elsewhere an unknown key is a warning, but here a misspelt
    // [[wiretap.taps]] turns interception off, and a missed copy is
    // the worst failure a tap can have.
    auto unknown =
        config::unknown_keys(table, config_keys, config.path, "wiretap");
    if (!unknown.empty())
        return Error{"", unknown.front(), ExitCode::config};
    auto bounce = text_setting(config, table, "bounce_address");
    if (!bounce)
        return bounce.error();
    settings.bounce_address = std::move(*bounce);
    if (!settings.bounce_address.empty() &&
        !mail::parse_mailbox(settings.bounce_address))
        return config_error(config, *table.get("bounce_address"),
                            "bounce_address is not an address");
    if (auto s = read_separators(config, table, settings); !s)
        return s.error();
    settings.log_file = state_dir + "/wiretap.log";
    settings.undelivered_dir = state_dir + "/wiretap-undelivered";
    std::pair<const char*, std::string*> paths[] = {
        {"log_file", &settings.log_file},
        {"undelivered_maildir", &settings.undelivered_dir}};
    for (auto [key, field] : paths) {
        const toml::node* node = table.get(key);
        if (!node)
            continue;
        auto path = config::path_value(config, *node, key);
        if (!path)
            return path.error();
        *field = std::move(*path);
    }
    const toml::node* taps = table.get("tap");
    if (!taps)
        return settings;
    const toml::array* list = taps->as_array();
    if (!list)
        return config_error(config, *taps, "tap must be [[wiretap.tap]]");
    for (const toml::node& node : *list) {
        const toml::table* entry = node.as_table();
        if (!entry)
            return config_error(config, node, "each tap must be a table");
        auto tap = read_tap(config, *entry);
        if (!tap)
            return tap.error();
        // Log lines and --list name a tap by its name alone.
        for (const Tap& earlier : settings.taps) {
            if (earlier.name == tap->name)
                return config_error(
                    config, *entry->get("name"),
                    fmt::format("tap name \"{}\" is already used at {}",
                                tap->name, earlier.where));
        }
        settings.taps.push_back(std::move(*tap));
    }
    return settings;
}

std::string no_taps_text(const config::Config& config) {
    // config::load leaves the path empty when the default file is
    // missing.
    if (config.path.empty())
        return fmt::format("no tap is configured: {} does not exist",
                           config::default_path);
    return fmt::format("{}: no tap is configured ([[wiretap.tap]])",
                       config.path);
}

std::string list_taps(const Settings& settings) {
    std::string out;
    for (const Tap& tap : settings.taps) {
        const char* direction = tap.inbound && tap.outbound ? "both"
                                : tap.inbound               ? "inbound"
                                                            : "outbound";
        // The folder a relative maildir is taken from came from the
        // command line, unchecked: a line break there would forge a line.
        std::string target = tap.maildir.empty()
                                 ? "deliver_to=" + tap.deliver_to
                                 : "maildir=" + tap.maildir;
        out += fmt::format("{}\twatch={}\tdirection={}\t{}\n", tap.name,
                           terminal_safe(listed_watch(tap)), direction,
                           terminal_safe(target));
    }
    return out;
}

} // namespace portcullis::wiretap
