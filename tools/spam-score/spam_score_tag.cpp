// What tagging writes: SpamAssassin's X-Spam-* fields, so procmail and
// Sieve recipes written for SpamAssassin keep working, and a subject tag.
#include "spam_score.hpp"

#include "mail/header_edit.hpp"

#include <strings.h>

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

std::vector<std::pair<std::string, std::string>>
spam_headers(const Score& score, double required, bool is_spam) {
    std::string tests;
    for (const Hit& hit : score.hits)
        tests += (tests.empty() ? "" : ",") + hit.name;
    if (tests.empty())
        tests = "none";
    int stars = std::clamp(static_cast<int>(std::floor(score.total)), 0, 50);
    std::vector<std::pair<std::string, std::string>> out;
    if (is_spam)
        out.emplace_back("X-Spam-Flag", "YES");
    out.emplace_back("X-Spam-Score", fmt::format("{:.1f}", score.total));
    out.emplace_back("X-Spam-Level", std::string(stars, '*'));
    out.emplace_back("X-Spam-Status",
                     fmt::format("{}, score={:.1f} required={:.1f} tests={} "
                                 "version=portcullis-{}",
                                 is_spam ? "Yes" : "No", score.total, required,
                                 tests, PORTCULLIS_VERSION));
    return out;
}

std::string tag_subject(std::string_view message, std::string_view tag) {
    size_t end = mail::header_block_end(message);
    size_t pos = 0;
    while (pos < end) {
        if (strncasecmp(message.data() + pos, "subject:", 8) == 0) {
            size_t value = pos + 8;
            while (value < end && message[value] == ' ')
                ++value;
            std::string out(message.substr(0, value));
            out += tag;
            out += ' ';
            out += message.substr(value);
            return out;
        }
        size_t eol = message.find('\n', pos);
        if (eol == std::string_view::npos)
            break;
        pos = eol + 1;
    }
    return mail::add_headers(message, {{"Subject", std::string(tag)}});
}

} // namespace portcullis::spam_score

namespace portcullis::spam_score {

std::string strip_spam_headers(std::string_view message) {
    size_t end = mail::header_block_end(message);
    std::string out;
    out.reserve(message.size());
    size_t pos = 0;
    bool dropping = false;
    while (pos < end) {
        size_t eol = message.find('\n', pos);
        size_t next = eol == std::string_view::npos ? end : eol + 1;
        bool continuation = message[pos] == ' ' || message[pos] == '\t';
        if (!continuation)
            dropping = strncasecmp(message.data() + pos, "x-spam-", 7) == 0;
        if (!dropping)
            out.append(message.substr(pos, next - pos));
        pos = next;
    }
    out.append(message.substr(end));
    return out;
}

} // namespace portcullis::spam_score
