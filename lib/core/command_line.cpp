// The command line every tool shares the reading of: CLI11 with empty
// values and flag values read as a hook means them, --help and --version
// answered, usage errors mapped to exit 64, and the guard that maps an
// escaped exception to 70.
#include "core/filter.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <signal.h>

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::filter {

namespace {

// Whether NAME is an option of the tool or of one of its subcommands
// that the test holds for.
bool any_option(CLI::App& app, const std::string& name,
                bool (*test)(const CLI::Option&)) {
    auto holds = [&](CLI::App& a) {
        const CLI::Option* option = a.get_option_no_throw(name);
        return option != nullptr && test(*option);
    };
    if (holds(app))
        return true;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
        if (holds(*sub))
            return true;
    return false;
}

// What CLI11 reads as a flag given: "--headers=1" has always meant
// --headers.
bool said_true(std::string_view value) {
    for (std::string_view yes : {"1", "true", "yes", "on"})
        if (equals_ci(value, yes))
            return true;
    return false;
}

// An option that takes a value, and a flag, which takes none.
bool takes_value(CLI::App& app, const std::string& name) {
    return any_option(app, name, [](const CLI::Option& o) {
        return o.get_type_size_max() > 0 && o.get_expected_max() > 0;
    });
}

bool is_flag(CLI::App& app, const std::string& name) {
    return any_option(app, name, [](const CLI::Option& o) {
        return o.get_type_size_max() == 0 || o.get_expected_max() == 0;
    });
}

// "--sender=" gives an empty value (the null sender, <>), as a hook
// that writes "--sender=$sender" means it; CLI11 would take the
// argument after it as the value instead. For any other option that
// takes a value, an empty one ("--state-dir=", "--state-dir ''")
// names nothing: a usage error, never a value taken from the next
// argument or a setting left out. A flag takes no value: "--json="
// and "--json=true" are the flag, "--json=x" a usage error (it was
// an internal error, and "--json=false" turned JSON on).
std::optional<int> read_values(CLI::App& app, int argc, char** argv,
                               std::vector<std::string>& args) {
    bool operands = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        operands = operands || arg == "--";
        size_t equals = arg.find('=');
        std::string name(arg.substr(0, equals));
        bool option = !operands && arg.size() > 2 && arg.starts_with("--");
        bool value = option && takes_value(app, name);
        bool empty = equals == arg.size() - 1 ||
                     (equals == std::string_view::npos && i + 1 < argc &&
                      argv[i + 1][0] == '\0');
        // An empty --config has a message of its own (78).
        if (value && empty && name != "--sender" && name != "--config") {
            log::error(
                fmt::format("usage: {}: an empty value names nothing", name));
            return to_int(ExitCode::usage);
        }
        if (value && equals == arg.size() - 1) {
            args.push_back(name);
            args.emplace_back();
            continue;
        }
        if (option && !value && equals != std::string_view::npos &&
            equals + 1 < arg.size() && is_flag(app, name) &&
            !said_true(arg.substr(equals + 1))) {
            log::error(fmt::format("usage: {} takes no value (or true)", name));
            return to_int(ExitCode::usage);
        }
        // "--json=" is the flag.
        args.emplace_back(equals == arg.size() - 1 && option && !value
                              ? std::string_view(name)
                              : arg);
    }
    return std::nullopt;
}

} // namespace

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    // A closed stdout must surface as EPIPE, not kill the process; a file
    // past the size limit (ulimit -f) as EFBIG, a temporary failure.
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGXFSZ, SIG_IGN);
    // A usage error is logged before the options are read: it is in JSON
    // when --log-json was asked for at all.
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--")
            break;
        if (std::string_view(argv[i]) == "--log-json")
            log::set_json(true);
    }
    std::vector<std::string> args;
    if (auto refused = read_values(app, argc, argv, args))
        return refused;
    // CLI11 takes the arguments last first.
    std::reverse(args.begin(), args.end());
    try {
        app.parse(args);
    } catch (const CLI::CallForHelp& e) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForVersion& e) {
        std::printf("%s %s\n", app.get_name().c_str(), PORTCULLIS_VERSION);
        return 0;
    } catch (const CLI::ParseError& e) {
        log::error(fmt::format("usage: {}", e.what()));
        return to_int(ExitCode::usage);
    }
    return std::nullopt;
}

int guard_main(const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        log::error(fmt::format("internal error: {}", e.what()));
    } catch (...) {
        log::error("internal error");
    }
    return to_int(ExitCode::software);
}

} // namespace portcullis::filter
