// wiretap: copy mail to or from watched addresses to a review Maildir or
// address, without a trace on the original.
#include "core/log.hpp"
#include "wiretap.hpp"

#include <cstdio>

using namespace portcullis;

int main(int argc, char** argv) {
    log::set_program("wiretap");
    wiretap::hide_from_stderr_readers(argc, argv);
    return filter::guard_main([&] {
        wiretap::Options options;
        CLI::App app{"Copy mail to or from watched addresses for review.",
                     "wiretap"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        filter::add_common_options(app, options.common);
        app.add_flag("--list", options.list, "List the taps and exit");
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        // Unknown keys in [wiretap] are errors, which load_settings
        // reports; what is left to warn of is checked once it has.
        auto config = filter::load_config(options.common, app);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }
        config->keys = wiretap::config_keys;
        auto settings =
            wiretap::load_settings(*config, options.common.state_dir);
        if (!settings) {
            log::error(settings.error().text());
            return to_int(settings.error().exit_code);
        }
        settings->max_header_bytes = options.common.limits.header_block_bytes;
        for (const std::string& problem : config::unknown_keys(*config))
            log::warning(problem);

        if (options.list) {
            std::fputs(wiretap::list_taps(*settings).c_str(), stdout);
            if (settings->taps.empty())
                log::warning(wiretap::no_taps_text(*config));
            return 0;
        }
        return to_int(wiretap::run(options, *settings));
    });
}
