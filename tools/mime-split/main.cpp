// mime-split: parse messages strictly and report their MIME trees,
// anomalies and attachments; optionally extract the attachments.
#include "core/log.hpp"
#include "mime_split.hpp"

#include <fmt/format.h>

using namespace portcullis;

int main(int argc, char** argv) {
    log::set_program("mime-split");
    return filter::guard_main([&] {
        mime_split::Options options;
        CLI::App app{"Report the MIME tree, anomalies and attachments of "
                     "each message.",
                     "mime-split"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        filter::add_common_options(app, options.common);
        app.add_option("--extract", options.extract_dir,
                       "Write decoded attachments into DIR, never "
                       "overwriting a file")
            ->type_name("DIR")
            ->check(CLI::ExistingDirectory);
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        auto config =
            filter::load_config(options.common, app, mime_split::config_keys);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }

        return to_int(mime_split::run(options));
    });
}
