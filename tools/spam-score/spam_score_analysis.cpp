// Taking a message apart for the checks. Header values are decoded
// before rules see them, as SpamAssassin does; spam-score's own X-Spam
// headers from an earlier pass are never read.
#include "spam_score_analysis.hpp"

#include <strings.h>

#include <algorithm>

namespace portcullis::spam_score {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_own_header(std::string_view name) {
    return name.size() >= 6 && strncasecmp(name.data(), "x-spam", 6) == 0;
}

std::string join_header(const mime::Tree& tree, std::string_view name,
                        std::string_view modifier, bool& present) {
    std::string out;
    for (const mime::Header& h : tree.headers) {
        if (h.name.size() != name.size() ||
            strncasecmp(h.name.data(), name.data(), name.size()) != 0)
            continue;
        present = true;
        if (!out.empty())
            out += '\n';
        if (modifier == "raw")
            out += h.value;
        else if (modifier == "addr")
            out += address_of(text::decode_header(h.value));
        else if (modifier == "name")
            out += display_name_of(text::decode_header(h.value));
        else
            out += text::decode_header(h.value);
    }
    return out;
}

std::string all_headers(const mime::Tree& tree) {
    std::string out;
    for (const mime::Header& h : tree.headers) {
        if (is_own_header(h.name))
            continue;
        out += h.name;
        out += ": ";
        out += text::decode_header(h.value);
        out += '\n';
    }
    return out;
}

// Fills one selector; absent headers stay absent so [if-unset] and
// exists: can tell them from empty ones.
void add_selector(MessageView& view, const mime::Tree& tree,
                  const std::string& selector) {
    bool present = false;
    std::string value;
    if (selector == "ALL") {
        present = true;
        value = all_headers(tree);
    } else if (selector == "ToCc") {
        value = join_header(tree, "to", "", present);
        bool cc = false;
        std::string copies = join_header(tree, "cc", "", cc);
        if (cc)
            value += (value.empty() ? "" : "\n") + copies;
        present = present || cc;
    } else if (selector == "MESSAGEID") {
        value = join_header(tree, "message-id", "", present);
    } else if (selector == "EnvelopeFrom") {
        value = join_header(tree, "return-path", "addr", present);
    } else {
        size_t colon = selector.find(':');
        std::string name = selector.substr(0, colon);
        std::string modifier =
            colon == std::string::npos ? "" : selector.substr(colon + 1);
        if (is_own_header(name))
            return;
        value = join_header(tree, name, modifier, present);
    }
    if (present)
        view.headers[selector] = std::move(value);
}

bool has_lookalike_link(const std::vector<uri::Uri>& uris) {
    return std::any_of(uris.begin(), uris.end(), [](const uri::Uri& u) {
        return uri::shows_other_site(u);
    });
}

// A display name that holds an address of another domain than the real
// sender's is what a reader takes for the sender.
bool display_name_spoofs(const mime::Tree& tree) {
    std::string from = text::decode_header(tree.header("From"));
    std::string name = display_name_of(from);
    std::string address = address_of(from);
    size_t at_name = name.find('@');
    size_t at_address = address.rfind('@');
    if (at_name == std::string::npos || at_address == std::string::npos)
        return false;
    std::string shown = lower(address_of(name));
    size_t at_shown = shown.rfind('@');
    if (at_shown == std::string::npos)
        return false;
    return shown.substr(at_shown + 1) != address.substr(at_address + 1);
}

} // namespace

std::string address_of(std::string_view value) {
    size_t open = value.rfind('<');
    if (open != std::string_view::npos) {
        size_t close = value.find('>', open);
        return lower(value.substr(open + 1, close == std::string_view::npos
                                                ? std::string_view::npos
                                                : close - open - 1));
    }
    size_t at = value.find('@');
    if (at == std::string_view::npos)
        return "";
    size_t start = value.find_last_of(" \t\"(,:;", at);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = value.find_first_of(" \t\")>,;", at);
    return lower(value.substr(start, end == std::string_view::npos
                                         ? std::string_view::npos
                                         : end - start));
}

std::string display_name_of(std::string_view value) {
    size_t open = value.rfind('<');
    if (open == std::string_view::npos) {
        size_t paren = value.find('(');
        size_t close = value.rfind(')');
        if (paren != std::string_view::npos && close > paren)
            return std::string(value.substr(paren + 1, close - paren - 1));
        return "";
    }
    std::string name = text::squeeze_space(value.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
        name = name.substr(1, name.size() - 2);
    return name;
}

Result<Analysis> analyse(std::string_view message, const Limits& limits,
                         size_t max_body_bytes) {
    auto tree = mime::parse(message, limits);
    if (!tree)
        return tree.error();
    Analysis out;
    out.tree = std::move(*tree);
    out.text = text::extract(out.tree, max_body_bytes);
    out.uris = uri::collect(out.text);
    if (!out.text.truncated)
        return out;
    // A big message keeps its links: they are read past the body cap.
    std::string rest;
    for (const mime::Part& part : out.tree.parts)
        if (!part.is_attachment && part.content_type.rfind("text/", 0) == 0)
            rest += part.decoded;
    std::set<std::string> seen;
    for (const uri::Uri& u : out.uris)
        seen.insert(u.url);
    for (uri::Uri& u : uri::find_in_text(rest))
        if (seen.insert(u.url).second)
            out.uris.push_back(std::move(u));
    return out;
}

MessageView make_view(const Analysis& analysis, std::string_view message,
                      const std::set<std::string>& selectors,
                      size_t max_body_bytes) {
    MessageView view;
    for (const std::string& selector : selectors)
        add_selector(view, analysis.tree, selector);
    view.body = analysis.text.subject + "\n" + analysis.text.body;
    view.rawbody = analysis.text.raw_body;
    message = mime::skip_from_line(message);
    view.full = std::string(message.substr(0, max_body_bytes));
    for (const uri::Uri& u : analysis.uris)
        view.uris.push_back(u.url);
    return view;
}

const std::vector<std::string>& builtin_names() {
    static const std::vector<std::string> names = {"ZERO_WIDTH_CHARS",
                                                   "LOOKALIKE_LINK",
                                                   "LOOKALIKE_WORDS",
                                                   "LOOKALIKE_HOST",
                                                   "FROM_DISPLAYNAME_SPOOF",
                                                   "MULTIPLE_FROM",
                                                   "HTML_HIDDEN_TEXT",
                                                   "URI_OBFUSCATED",
                                                   "URI_NUMERIC_HOST",
                                                   "HTML_ONLY",
                                                   "MIME_ANOMALY",
                                                   "BODY_TRUNCATED",
                                                   "FUZZY_SPAM",
                                                   "FUZZY_SPAM_STRONG",
                                                   "BAYES_00",
                                                   "BAYES_05",
                                                   "BAYES_20",
                                                   "BAYES_40",
                                                   "BAYES_50",
                                                   "BAYES_60",
                                                   "BAYES_80",
                                                   "BAYES_95",
                                                   "BAYES_99",
                                                   "BAYES_999",
                                                   "ALLOWLISTED",
                                                   "BLOCKLISTED"};
    return names;
}

std::set<std::string> builtin_tests(const Analysis& a) {
    std::set<std::string> hits;
    auto fire = [&](bool condition, const char* name) {
        if (condition)
            hits.insert(name);
    };
    fire(a.text.zero_width_subject + a.text.zero_width_body > 0,
         "ZERO_WIDTH_CHARS");
    fire(has_lookalike_link(a.uris), "LOOKALIKE_LINK");
    fire(a.text.lookalike_words > 0, "LOOKALIKE_WORDS");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.lookalike_host; }),
         "LOOKALIKE_HOST");
    fire(display_name_spoofs(a.tree), "FROM_DISPLAYNAME_SPOOF");
    fire(a.tree.header_all("From").size() > 1, "MULTIPLE_FROM");
    fire(a.text.hidden_html_bytes > 20, "HTML_HIDDEN_TEXT");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.obfuscated; }),
         "URI_OBFUSCATED");
    fire(std::any_of(a.uris.begin(), a.uris.end(),
                     [](const uri::Uri& u) { return u.numeric_host; }),
         "URI_NUMERIC_HOST");
    fire(a.text.has_html && !a.text.has_plain, "HTML_ONLY");
    fire(!a.tree.anomalies.empty(), "MIME_ANOMALY");
    fire(a.text.truncated, "BODY_TRUNCATED");
    return hits;
}

} // namespace portcullis::spam_score
