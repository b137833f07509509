// wiretap: copy mail to or from watched addresses to a review Maildir or
// address, without a trace on the original.
#include "core/log.hpp"
#include "wiretap.hpp"

#include <cstdio>

using namespace portcullis;

int main(int argc, char** argv) {
    log::set_program("wiretap");
    return filter::guard_main([&] {
        wiretap::Options options;
        CLI::App app{"Copy mail to or from watched addresses for review.",
                     "wiretap"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        filter::add_common_options(app, options.common);
        app.add_flag("--list", options.list, "List the taps and exit");
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        auto config =
            filter::load_config(options.common, app, wiretap::config_keys);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }
        auto settings =
            wiretap::load_settings(*config, options.common.state_dir);
        if (!settings) {
            log::error(settings.error().text());
            return to_int(settings.error().exit_code);
        }

        if (options.list) {
            std::fputs(wiretap::list_taps(*settings).c_str(), stdout);
            return 0;
        }
        return to_int(wiretap::run(options, *settings));
    });
}
