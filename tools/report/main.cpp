// report: summaries, trends and alerts from verdict streams and logs.
#include "core/log.hpp"
#include "report.hpp"

using namespace portcullis;

int main(int argc, char** argv) {
    log::set_program("report");
    return filter::guard_main([&] {
        report::Options options;
        CLI::App app{"Summarise verdict streams and JSON lines.", "report"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        app.add_option("inputs", options.inputs,
                       "Streams or JSON lines; - is stdin")
            ->type_name("FILE");
        app.add_flag("--json", options.json, "Write the summary as JSON");
        app.add_option("--top", options.top, "Entries in each top list")
            ->type_name("N")
            ->check(filter::positive);
        app.add_option("--max-errors", options.max_errors,
                       "Input errors listed; more are only counted "
                       "(default 100; 0 lists none)")
            ->type_name("N")
            ->check(filter::whole_number);
        app.add_option_function<std::string>(
               "--config",
               [&](const std::string& path) {
                   options.config_path = path;
                   options.config_named = true;
               },
               "Configuration file; its [limits] apply")
            ->type_name("FILE");
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        // The filters read [limits] from the same file: a line they were
        // allowed to write, report must be allowed to read.
        auto config = config::load(options.config_path, options.config_named);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }
        if (Status s = config::apply_limits(*config, options.limits); !s) {
            log::error(s.error().text());
            return to_int(s.error().exit_code);
        }

        return to_int(report::run(options));
    });
}
