// spam-score: score each message once with rules, Bayes and fuzzy
// signatures, then judge it per recipient; `learn` and `report` train
// it, and `explain` shows what its Bayes made of a message.
#include "core/log.hpp"
#include "spam_score.hpp"

#include <fmt/format.h>

using namespace portcullis;

namespace {

void add_learn_options(CLI::App& command, spam_score::LearnOptions& learn) {
    auto* spam = command.add_flag("--spam", learn.spam, "Learn as spam");
    auto* ham = command.add_flag("--ham", learn.ham, "Learn as ham");
    spam->excludes(ham);
}

} // namespace

int main(int argc, char** argv) {
    log::set_program(spam_score::tool_name);
    return filter::guard_main([&] {
        spam_score::Options options;
        spam_score::LearnOptions learn;
        CLI::App app{"Score messages for spam and judge them per recipient.",
                     spam_score::tool_name};
        app.set_version_flag("--version", PORTCULLIS_VERSION);
        filter::add_common_options(app, options.common);
        app.add_option("--rules-dir", options.rules_dir, "Default rules")
            ->type_name("DIR");
        // One path per --local-rules, so a message folder after it is
        // never taken for rules.
        app.add_option("--local-rules", options.extra_rules,
                       "More rules, file or folder, read after the default "
                       "(repeatable)")
            ->type_name("PATH")
            ->allow_extra_args(false);
        app.add_option("--max-body-bytes", options.max_body_bytes,
                       "Bytes of body text read per message")
            ->type_name("N")
            ->check(filter::positive);
        app.add_option("--max-links", options.max_links,
                       "Links read per message")
            ->type_name("N")
            ->check(filter::positive);
        app.add_flag("!--no-bayes", options.use_bayes, "Do not use Bayes");
        app.add_flag("!--no-fuzzy", options.use_fuzzy,
                     "Do not use fuzzy signatures");
        app.add_flag("--lint", options.lint,
                     "Check the rules, report problems and exit");
        CLI::App* learn_cmd = app.add_subcommand(
            "learn", "Learn messages as spam or ham, or forget them");
        CLI::App* report_cmd = app.add_subcommand(
            "report",
            "Report missed spam (--spam) or a false positive (--ham)");
        for (CLI::App* command : {learn_cmd, report_cmd}) {
            command->fallthrough();
            command->footer(
                "Not with: --json --headers --verdicts --lint --no-bayes "
                "--no-fuzzy");
            add_learn_options(*command, learn);
            command
                ->add_option(
                    "inputs", options.common.inputs,
                    "Messages: files, folders, Maildirs, mboxes; - is stdin")
                ->type_name("PATH");
        }
        size_t top = 30;
        CLI::App* explain_cmd = app.add_subcommand(
            "explain",
            "Show the Bayes tokens that weighed most in each message");
        explain_cmd->fallthrough();
        // Read by the completions' generator: tool options not offered.
        explain_cmd->footer(
            "Not with: --json --headers --verdicts --lint --no-bayes");
        explain_cmd
            ->add_option("--top", top, "Tokens shown per message, each way")
            ->type_name("N")
            ->check(filter::positive);
        explain_cmd
            ->add_option(
                "inputs", options.common.inputs,
                "Messages: files, folders, Maildirs, mboxes; - is stdin")
            ->type_name("PATH");
        // A report says what a message is; taking learning back is
        // learn's, so a report can never undo one.
        learn_cmd->add_flag("--forget", learn.forget,
                            "Forget the messages instead of learning them");
        report_cmd
            ->add_option("--reporter", learn.reporter,
                         "Who reports, for the log (default: the user "
                         "running it)")
            ->type_name("NAME");
        CLI::App* prune_cmd = app.add_subcommand(
            "prune",
            "Keep the learned state within [spam-score.state]'s limits");
        prune_cmd->fallthrough();
        prune_cmd->footer(
            "Not with: --json --headers --verdicts --lint --no-bayes "
            "--no-fuzzy");
        if (auto status = filter::parse_command_line(app, argc, argv))
            return *status;
        options.rules_dir_given = app.count("--rules-dir") > 0;

        auto config =
            filter::load_config(options.common, app, spam_score::config_keys,
                                options.lint ? filter::UnknownKeys::warn
                                             : filter::UnknownKeys::refuse);
        if (!config) {
            log::error(config.error().text());
            return to_int(config.error().exit_code);
        }
        // The file sets these limits; the command line beats it. A wrong
        // type or range is left to the configuration check (exit 78).
        const toml::table& table = config->tool(spam_score::tool_name);
        auto limit = [&](const char* key, const char* flag, size_t& value) {
            auto given = table[key].value<int64_t>();
            if (!app.count(flag) && given && *given > 0)
                value = static_cast<size_t>(*given);
        };
        limit("max_body_bytes", "--max-body-bytes", options.max_body_bytes);
        limit("max_links", "--max-links", options.max_links);
        // A subcommand does its own work: a stray --lint or --json must
        // not turn a training job into a silent no-op.
        for (CLI::App* command : {learn_cmd, report_cmd, prune_cmd})
            if (command->parsed() &&
                (options.lint ||
                 options.common.form != filter::OutputForm::stream ||
                 !options.common.verdicts_path.empty() || !options.use_bayes ||
                 !options.use_fuzzy)) {
                log::error(fmt::format("usage: {} writes log lines of its "
                                       "own and keeps Bayes and fuzzy "
                                       "state; --json, --headers, "
                                       "--verdicts, --lint, --no-bayes and "
                                       "--no-fuzzy are not for it",
                                       command->get_name()));
                return to_int(ExitCode::usage);
            }
        if (options.lint && !explain_cmd->parsed())
            return to_int(spam_score::lint(options, *config));
        if (explain_cmd->parsed()) {
            if (options.lint ||
                options.common.form != filter::OutputForm::stream ||
                !options.common.verdicts_path.empty() || !options.use_bayes) {
                log::error("usage: explain writes text of its own; "
                           "--json, --headers, --verdicts, --lint and "
                           "--no-bayes are not for it");
                return to_int(ExitCode::usage);
            }
            return to_int(spam_score::explain(options, *config, top));
        }
        if (prune_cmd->parsed()) {
            if (!options.common.inputs.empty()) {
                log::error("usage: prune reads no messages");
                return to_int(ExitCode::usage);
            }
            return to_int(spam_score::prune(options, *config));
        }
        if (learn_cmd->parsed() || report_cmd->parsed()) {
            // Forgetting takes out what the message was learned as, so
            // it needs no class (one given is not checked against it).
            if (!learn.spam && !learn.ham && !learn.forget) {
                log::error(report_cmd->parsed()
                               ? "usage: say --spam or --ham"
                               : "usage: say --spam, --ham or --forget");
                return to_int(ExitCode::usage);
            }
            learn.report = report_cmd->parsed();
            return to_int(spam_score::learn(options, *config, learn));
        }
        return to_int(spam_score::run(options, *config));
    });
}
