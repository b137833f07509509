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
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        return to_int(report::run(options));
    });
}
