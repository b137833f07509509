// av-scan: scan each message, as a strict and as an Outlook-like parser
// read it, with libclamav; delete, clean or quarantine what is found.
#include "av_scan.hpp"
#include "core/log.hpp"

using namespace portcullis;

namespace {

void add_options(CLI::App& app, av::Options& options) {
    filter::add_common_options(app, options.common);
    app.add_option("--db", options.db_dir, "libclamav signature folder")
        ->type_name("DIR");
    app.add_option("--tmp-dir", options.engine.tmp_dir,
                   "Folder for libclamav's temporary files (a tmpfs is best)")
        ->type_name("DIR");
    auto policy = [&](const char* flag, av::Policy& field, const char* what,
                      std::vector<std::string> allowed) {
        app.add_option_function<std::string>(
               flag,
               [&field](const std::string& name) {
                   field = *av::parse_policy(name);
               },
               what)
            ->check(CLI::IsMember(allowed))
            ->type_name("ACTION");
    };
    policy("--on-infected", options.on_infected,
           "What to do with a virus: delete, clean or quarantine",
           {"delete", "clean", "quarantine"});
    policy("--on-scan-limit", options.on_scan_limit,
           "What to do when a scan limit is hit",
           {"delete", "clean", "quarantine", "pass"});
    policy("--on-encrypted", options.on_encrypted,
           "What to do with an encrypted archive or document",
           {"delete", "clean", "quarantine", "pass"});
    av::ScanLimits& limits = options.engine.limits;
    app.add_option("--max-scan-recursion", limits.max_recursion,
                   "Deepest archive nesting unpacked")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-scan-files", limits.max_files,
                   "Most files unpacked from one part")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-scan-file-bytes", limits.max_file_bytes,
                   "Largest file scanned inside a part")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-scan-bytes", limits.max_scan_bytes,
                   "Most bytes unpacked from one part")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-scan-time-ms", limits.max_scan_time_ms,
                   "Longest time one part may take to scan")
        ->type_name("MS")
        ->check(CLI::PositiveNumber);
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("av-scan");
    return filter::guard_main([&] {
        av::Options options;
        CLI::App app{"Scan each message and every part of it, as a strict "
                     "and as an Outlook-like parser read it, with libclamav.",
                     "av-scan"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        add_options(app, options);
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        auto config = filter::load_config(options.common, app);
        Status applied = config ? av::apply_config(*config, app, options)
                                : Status(config.error());
        if (!applied) {
            log::error(applied.error().text());
            return to_int(applied.error().exit_code);
        }

        return to_int(av::run(options));
    });
}
