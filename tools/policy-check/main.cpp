// policy-check: judge messages against administrator policies on
// addresses, headers, body words and attachments, per recipient.
#include "core/log.hpp"
#include "policy_check.hpp"

#include <cstdio>

using namespace portcullis;

namespace {

// Prints what --check found: the summary on stdout, or the error.
int print_summary(const Result<std::string>& summary) {
    if (!summary) {
        log::error(summary.error().text());
        return to_int(summary.error().exit_code);
    }
    std::printf("%s\n", summary.value().c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("policy-check");
    return filter::guard_main([&] {
        policy_check::Options options;
        CLI::App app{"Judge each message against the mail policies.",
                     "policy-check"};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        filter::add_common_options(app, options.common);
        app.add_option("--policy", options.policy_files,
                       "Policy file to apply as well (repeatable)")
            ->type_name("FILE")
            ->allow_extra_args(false);
        app.add_option("--local-domain", options.local_domains,
                       "Domain that is ours, for direction (repeatable)")
            ->type_name("DOMAIN")
            ->allow_extra_args(false);
        app.add_option("--wordlists", options.wordlists_dir,
                       "Folder of word lists")
            ->type_name("DIR");
        app.add_option("--domains-dir", options.domains_dir,
                       "Folder of domain and user settings")
            ->type_name("DIR");
        app.add_option("--max-body-bytes", options.max_body_bytes,
                       "Body bytes read for words and patterns")
            ->type_name("N")
            ->check(filter::positive);
        app.add_option("--headers-for", options.headers_for,
                       "Write the message as one recipient's decision "
                       "makes it")
            ->type_name("ADDRESS");
        app.add_option(
               "--check", options.check_file,
               "Validate a policy, configuration or domain file and exit")
            ->type_name("FILE");
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;

        // A domain file is checked against the system level it sits
        // below; a policy or main file stands alone.
        bool checking = !options.check_file.empty();
        if (checking && !policy_check::is_domain_file(options))
            return print_summary(policy_check::check_file(
                options.check_file, options.wordlists_dir));

        auto config =
            filter::load_config(options.common, app, policy_check::config_keys);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }
        if (checking)
            return print_summary(
                policy_check::check_domain_file(options, *config));
        return to_int(policy_check::run(options, *config));
    });
}
