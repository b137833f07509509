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
        app.add_option("--max-keys", options.max_keys,
                       "Keys kept in each top list; past it, counts are "
                       "bounds and the rest is summed (default 10000)")
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
        std::vector<std::string> alerts;
        app.add_option("--alert", alerts,
                       "Say so first when a figure passes a threshold: "
                       "quarantine>5%, av-scan:quarantine>0, "
                       "reason:AV_INFECTED>0, input_errors>0 (repeatable)")
            ->type_name("RULE")
            ->allow_extra_args(false);
        app.add_flag("--alerts-only", options.alerts_only,
                     "Print only the alerts that fired (nothing if none)");
        std::string by;
        app.add_option("--by", by,
                       "Count messages per day or hour of arrival (UTC)")
            ->type_name("PERIOD")
            ->check(CLI::IsMember({"day", "hour"}));
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;
        for (const std::string& text : alerts) {
            auto alert = report::parse_alert(text);
            if (!alert) {
                log::error(alert.error().text());
                return to_int(alert.error().exit_code);
            }
            options.alerts.push_back(std::move(*alert));
        }
        if (!by.empty())
            options.period =
                by == "day" ? report::Period::day : report::Period::hour;

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
