// Tokens and the chi-square classifier. Recipient mailboxes are never
// tokens: they say who the mail was for, not what it is, and learning
// them teaches the filter one mailbox's share of spam.
#include "spam_score_bayes.hpp"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace portcullis::spam_score {

namespace {

constexpr size_t max_body_words = 4000;

bool is_word_byte(unsigned char c) {
    return std::isalnum(c) || c >= 0x80 || c == '\'' || c == '$' || c == '-' ||
           c == '.' || c == '_' || c == '!' || c == '%';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits text into lower-case words; punctuation at either end is not
// part of a word, so "free!" and "free" are one token.
std::vector<std::string> words(std::string_view text, size_t limit) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size() && out.size() < limit) {
        while (pos < text.size() &&
               !is_word_byte(static_cast<unsigned char>(text[pos])))
            ++pos;
        size_t start = pos;
        while (pos < text.size() &&
               is_word_byte(static_cast<unsigned char>(text[pos])))
            ++pos;
        std::string_view word = text.substr(start, pos - start);
        while (!word.empty() && std::string_view("'-._!").find(word.front()) !=
                                    std::string_view::npos)
            word.remove_prefix(1);
        while (!word.empty() && std::string_view("'-._").find(word.back()) !=
                                    std::string_view::npos)
            word.remove_suffix(1);
        if (!word.empty())
            out.push_back(lower(word));
    }
    return out;
}

// A long word is rarely seen twice; its first letter and length class are.
std::string word_token(const std::string& word) {
    if (word.size() > 30)
        return fmt::format("skip:{}:{}", word[0], word.size() / 10 * 10);
    return word;
}

void add_words(std::vector<std::string>& out, std::string_view prefix,
               std::string_view text, size_t limit) {
    for (const std::string& word : words(text, limit))
        out.push_back(fmt::format("{}{}", prefix, word_token(word)));
}

void add_address(std::vector<std::string>& out, std::string_view name,
                 std::string_view value, bool with_user) {
    size_t at = value.rfind('@');
    if (at == std::string_view::npos)
        return;
    size_t start = value.find_last_of("<\" \t,:", at);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = value.find_first_of(">\" \t,;", at);
    std::string domain = lower(value.substr(
        at + 1,
        end == std::string_view::npos ? std::string_view::npos : end - at - 1));
    out.push_back(fmt::format("H:{}:domain:{}", name, domain));
    if (with_user)
        out.push_back(fmt::format("H:{}:user:{}", name,
                                  lower(value.substr(start, at - start))));
}

bool skipped_header(std::string_view name) {
    static const char* skipped[] = {
        "received",        "delivered-to",   "date",
        "x-original-date", "content-length", "lines",
        "status",          "x-status",       "x-uid",
        "x-keywords",      "x-spam-status",  "x-spam-level",
        "x-spam-flag",     "x-spam-score",   "x-spam-checker-version",
        "x-spam-report"};
    for (const char* s : skipped)
        if (name == s)
            return true;
    return name.rfind("x-spam", 0) == 0;
}

void add_received(std::vector<std::string>& out, std::string_view value) {
    // Only the "from" clause names the relays; "for" names the mailbox.
    size_t for_at = value.find(" for ");
    std::string_view relays = value.substr(0, for_at);
    for (const std::string& word : words(relays, 40)) {
        if (word.size() < 3 || word == "from" || word == "by" ||
            word == "with" || word == "esmtp" || word == "smtp" || word == "id")
            continue;
        out.push_back("R:" + word_token(word));
    }
}

void add_headers(std::vector<std::string>& out, const mime::Tree& tree) {
    for (const mime::Header& header : tree.headers) {
        std::string name = lower(header.name);
        if (name == "received") {
            add_received(out, header.value);
            continue;
        }
        if (skipped_header(name) || name == "subject")
            continue;
        out.push_back("HN:" + name);
        std::string value = text::decode_header(header.value);
        if (name == "to" || name == "cc") {
            add_address(out, name, value, false);
            continue;
        }
        if (name == "from" || name == "reply-to" || name == "return-path" ||
            name == "sender" || name == "errors-to")
            add_address(out, name, value, true);
        if (name == "message-id") {
            add_address(out, name, value, false);
            continue;
        }
        add_words(out, "H:" + name + ":", value, 30);
    }
}

void add_uris(std::vector<std::string>& out,
              const std::vector<uri::Uri>& uris) {
    for (const uri::Uri& u : uris) {
        out.push_back("U:" + u.host);
        out.push_back("U:" + uri::registrable_domain(u.host));
        size_t path = u.url.find('/', u.url.find("://") + 3);
        if (path != std::string::npos)
            add_words(out, "UP:", std::string_view(u.url).substr(path), 20);
        if (u.obfuscated)
            out.push_back("U!obfuscated");
        if (u.numeric_host)
            out.push_back("U!numeric");
    }
}

void add_structure(std::vector<std::string>& out, const mime::Tree& tree,
                   const text::MessageText& text) {
    for (const mime::Part& part : tree.parts) {
        out.push_back("CT:" + part.content_type);
        if (!part.charset.empty())
            out.push_back("CS:" + part.charset);
        out.push_back("CTE:" + part.transfer_encoding);
    }
    for (const std::string& name : text.attachment_names) {
        size_t dot = name.rfind('.');
        out.push_back("A:" + lower(dot == std::string::npos
                                       ? name
                                       : name.substr(dot + 1)));
    }
    if (text.has_html && !text.has_plain)
        out.push_back("X!html_only");
    if (text.zero_width_body + text.zero_width_subject > 0)
        out.push_back("X!zero_width");
    if (text.hidden_html_bytes > 0)
        out.push_back("X!hidden_html");
    if (text.lookalike_words > 0)
        out.push_back("X!lookalike");
}

void add_body(std::vector<std::string>& out, const text::MessageText& text) {
    add_words(out, "S:", text.subject, 40);
    std::vector<std::string> body = words(text.body, max_body_words);
    for (size_t i = 0; i < body.size(); ++i) {
        out.push_back(word_token(body[i]));
        if (i + 1 < body.size() && body[i].size() <= 30 &&
            body[i + 1].size() <= 30)
            out.push_back(body[i] + ' ' + body[i + 1]);
    }
}

// Returns the upper tail of the chi-square distribution with 2v degrees
// of freedom at x2, by the series that is exact for even degrees.
double chi2q(double x2, size_t v) {
    double m = x2 / 2.0;
    double term = std::exp(-m);
    double sum = term;
    for (size_t i = 1; i < v; ++i) {
        term *= m / static_cast<double>(i);
        sum += term;
    }
    return std::min(sum, 1.0);
}

} // namespace

uint64_t token_hash(std::string_view token) {
    uint64_t hash = 0xcbf29ce484222325ull; // FNV-1a
    for (unsigned char c : token) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::vector<std::string> tokenize(const mime::Tree& tree,
                                  const text::MessageText& text,
                                  const std::vector<uri::Uri>& uris) {
    std::vector<std::string> out;
    out.reserve(4096);
    add_headers(out, tree);
    add_uris(out, uris);
    add_structure(out, tree, text);
    add_body(out, text);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<uint64_t> token_hashes(const mime::Tree& tree,
                                   const text::MessageText& text,
                                   const std::vector<uri::Uri>& uris) {
    std::vector<uint64_t> out;
    for (const std::string& token : tokenize(tree, text, uris))
        out.push_back(token_hash(token));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<std::optional<double>>
bayes_probability(state::Store& store, const std::vector<uint64_t>& hashes,
                  const BayesSettings& settings) {
    auto totals = store.totals();
    if (!totals)
        return totals.error();
    if (totals->spam < settings.min_learned ||
        totals->ham < settings.min_learned)
        return std::optional<double>{};
    auto counts = store.lookup(hashes);
    if (!counts)
        return counts.error();

    auto nspam = static_cast<double>(totals->spam);
    auto nham = static_cast<double>(totals->ham);
    std::vector<double> probabilities;
    for (const state::TokenCounts& c : *counts) {
        if (c.spam + c.ham == 0)
            continue;
        double spam_ratio = std::min(1.0, c.spam / nspam);
        double ham_ratio = std::min(1.0, c.ham / nham);
        double p = spam_ratio / (spam_ratio + ham_ratio);
        double n = c.spam + c.ham;
        double s = settings.unknown_strength;
        double f = (s * settings.unknown_probability + n * p) / (s + n);
        if (std::fabs(f - 0.5) >= settings.min_strength)
            probabilities.push_back(f);
    }
    if (probabilities.empty())
        return std::optional<double>{0.5};
    // The strongest evidence either way decides.
    size_t keep = std::min(settings.max_tokens, probabilities.size());
    std::partial_sort(probabilities.begin(), probabilities.begin() + keep,
                      probabilities.end(), [](double a, double b) {
                          return std::fabs(a - 0.5) > std::fabs(b - 0.5);
                      });
    double ln_ham = 0, ln_spam = 0;
    for (size_t i = 0; i < keep; ++i) {
        double f = std::clamp(probabilities[i], 1e-6, 1 - 1e-6);
        ln_ham += std::log(f);
        ln_spam += std::log(1 - f);
    }
    double h = chi2q(-2 * ln_ham, keep);
    double s = chi2q(-2 * ln_spam, keep);
    return std::optional<double>{(1 + h - s) / 2};
}

std::string bayes_rule(double p) {
    static const std::pair<double, const char*> bands[] = {
        {0.01, "BAYES_00"}, {0.05, "BAYES_05"}, {0.20, "BAYES_20"},
        {0.40, "BAYES_40"}, {0.60, "BAYES_50"}, {0.80, "BAYES_60"},
        {0.95, "BAYES_80"}, {0.99, "BAYES_95"}, {0.999, "BAYES_99"}};
    for (auto& [limit, name] : bands)
        if (p < limit)
            return name;
    return "BAYES_999";
}

} // namespace portcullis::spam_score
