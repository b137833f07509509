// What tagging writes: SpamAssassin's X-Spam-* fields, so procmail and
// Sieve recipes written for SpamAssassin keep working, and a subject tag.
#include "spam_score.hpp"

#include "mail/header_edit.hpp"
#include "spam_score_analysis.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>

namespace portcullis::spam_score {

verdict::Action band_action(const Bands& bands, double score) {
    using verdict::Action;
    // Most severe first: a score past several bands gets the worst.
    const std::pair<const std::optional<double>*, Action> order[] = {
        {&bands.reject, Action::reject},
        {&bands.discard, Action::discard},
        {&bands.quarantine, Action::quarantine},
        {&bands.folder, Action::folder},
        {&bands.tag, Action::tag}};
    for (auto& [threshold, action] : order)
        if (*threshold && score >= **threshold)
            return action;
    return Action::pass;
}

namespace {

constexpr size_t fold_width = 78;

// Returns value with one decimal, as SpamAssassin writes it, unless the
// rounded score would then contradict the decision (4.96 shown as 5.0
// against a required 5.0 and "No"): then with as many as it takes.
int shown_decimals(double score, double required, bool is_spam) {
    for (int decimals = 1; decimals < 6; ++decimals) {
        double scale = std::pow(10.0, decimals);
        double shown_score = std::round(score * scale) / scale;
        double shown_required = std::round(required * scale) / scale;
        if ((shown_score >= shown_required) == is_spam)
            return decimals;
    }
    return 6;
}

std::string number(double value, int decimals) {
    std::string out = fmt::format("{:.{}f}", value, decimals);
    // A score that rounds to nothing is 0.0, never -0.0.
    if (out.front() == '-' && out.find_first_not_of("-0.") == std::string::npos)
        out.erase(0, 1);
    return out;
}

// Folds words into lines of under fold_width columns, the first after
// "NAME: ", the rest after a tab, as SpamAssassin folds X-Spam-Status.
// A word after the first that ends in ',' (a test in the list) joins
// the next without a space.
std::string fold(std::string_view name, const std::vector<std::string>& words) {
    std::string out;
    size_t column = name.size() + 2;
    bool glued = false;
    for (const std::string& word : words) {
        std::string_view gap = glued || out.empty() ? "" : " ";
        if (!out.empty() && column + gap.size() + word.size() >= fold_width) {
            out += "\n\t";
            column = 1;
            gap = "";
        }
        out += gap;
        out += word;
        column += gap.size() + word.size();
        glued = &word != &words.front() && word.back() == ',';
    }
    return out;
}

// X-Spam-Status names this many tests at most, so that thousands of
// local rules firing cannot make a header past a mail server's limit
// (Postfix's header_size_limit is 102,400 bytes); the verdict lists
// them all.
constexpr size_t max_status_tests = 200;

} // namespace

std::vector<std::pair<std::string, std::string>>
spam_headers(const Score& score, double required, bool is_spam) {
    int decimals = shown_decimals(score.total, required, is_spam);
    std::vector<std::string> words = {
        is_spam ? "Yes," : "No,", "score=" + number(score.total, decimals),
        "required=" + number(required, std::max(decimals, 1))};
    std::vector<std::string> tests;
    for (const Hit& hit : score.hits)
        // A name that is no rule name (a line break would start a header
        // field of its own) never reaches the header; rule names are at
        // most max_rule_name long, so a folded line stays under 998 bytes.
        if (is_rule_name(hit.name) && tests.size() < max_status_tests)
            tests.push_back(hit.name);
    if (tests.empty())
        tests.push_back("none");
    for (size_t i = 0; i < tests.size(); ++i)
        words.push_back((i == 0 ? "tests=" : "") + tests[i] +
                        (i + 1 < tests.size() ? "," : ""));
    words.push_back(fmt::format("version=portcullis-{}", PORTCULLIS_VERSION));

    int stars = std::clamp(static_cast<int>(std::floor(score.total)), 0, 50);
    std::vector<std::pair<std::string, std::string>> out;
    if (is_spam)
        out.emplace_back("X-Spam-Flag", "YES");
    out.emplace_back("X-Spam-Score", number(score.total, decimals));
    out.emplace_back("X-Spam-Level", std::string(stars, '*'));
    out.emplace_back("X-Spam-Status", fold("X-Spam-Status", words));
    return out;
}

std::string configured_subject_tag(const config::Config& config) {
    levels::Layers system{&config.tool(tool_name), nullptr, nullptr};
    std::string tag = levels::Hierarchy::text(system, "subject_tag", "").value;
    // A line break in the tag would start a header field of its own.
    std::erase_if(tag, [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    // Tagging puts one space after the tag; blanks written around it
    // would keep a tagged subject from being known as tagged (a break
    // test's "[SPAM]  " tagged a subject twice).
    size_t first = tag.find_first_not_of(' ');
    if (first == std::string::npos)
        return "";
    return tag.substr(first, tag.find_last_not_of(' ') - first + 1);
}

// Every X-Spam-* field goes, not only those of the names written: an
// earlier hop's, or a sender's forged "X-Spam-Flag: NO", must not reach
// the reader. They go in the same pass that adds ours, so a header block
// of nothing else stays a header block and the body keeps its place.
std::string add_spam_fields(
    std::string_view message,
    const std::vector<std::pair<std::string, std::string>>& fields) {
    return mail::add_headers(message, fields, [](std::string_view name) {
        return name.starts_with("x-spam-");
    });
}

} // namespace portcullis::spam_score
