// A small recursive-descent reader for the expressions of "if" lines:
// ! && || ( ), version and perl_version comparisons, plugin(NAME),
// can(NAME), has(NAME), local_tests_only and numbers, and the table of
// what can(NAME) is true for.
#include "spam_score_conditions.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace portcullis::spam_score {

namespace {

// A number as SpamAssassin's if lines take one: digits, and a fraction
// after one dot ("4.000001", never "4.0.1"), with an optional sign.
bool is_sa_number(std::string_view s) {
    if (!s.empty() && (s[0] == '+' || s[0] == '-'))
        s.remove_prefix(1);
    size_t dot = s.find('.');
    auto digits = [](std::string_view d) {
        return !d.empty() &&
               d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    if (dot == std::string_view::npos)
        return digits(s);
    return digits(s.substr(0, dot)) && digits(s.substr(dot + 1));
}

class ConditionReader {
public:
    ConditionReader(std::string_view text, const std::set<std::string>& compat)
        : text_(text), compat_(compat) {}

    bool read(std::string& problem) {
        bool value = disjunction();
        skip_space();
        if (!error_.empty() || pos_ != text_.size()) {
            problem = error_.empty()
                          ? "cannot read \"" + std::string(text_.substr(pos_)) +
                                "\" in an if line"
                          : error_;
            return false;
        }
        return value;
    }

private:
    void skip_space() {
        while (pos_ < text_.size() &&
               std::isspace(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
    }

    bool take(std::string_view token) {
        skip_space();
        if (text_.substr(pos_, token.size()) != token)
            return false;
        pos_ += token.size();
        return true;
    }

    bool disjunction() {
        bool value = conjunction();
        while (error_.empty() && take("||"))
            value = conjunction() || value;
        return value;
    }

    bool conjunction() {
        bool value = negation();
        while (error_.empty() && take("&&"))
            value = negation() && value;
        return value;
    }

    // Recursion: no real if line nests deeper than a handful. Nesting
    // counts parentheses and ! operators.
    bool nest() {
        constexpr int max_nesting = 64;
        if (++depth_ <= max_nesting)
            return true;
        if (error_.empty())
            error_ = "an if line is nested more than 64 deep";
        return false;
    }

    bool negation() {
        if (!error_.empty())
            return false;
        if (take("!")) {
            bool value = nest() && !negation();
            --depth_;
            return value;
        }
        if (take("(")) {
            bool value = nest() && disjunction();
            --depth_;
            if (!take(")") && error_.empty())
                error_ = "an if line misses a \")\"";
            return value;
        }
        return atom();
    }

    std::string word() {
        skip_space();
        size_t start = pos_;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                text_[pos_] == '_' || text_[pos_] == ':' || text_[pos_] == '.'))
            ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }

    // What follows "version" or "perl_version": an operator and a number.
    bool comparison(const std::string& name, double have) {
        static const char* operators[] = {">=", "<=", "==", "!=", ">", "<"};
        for (const char* op : operators) {
            if (!take(op))
                continue;
            skip_space();
            size_t start = pos_;
            while (pos_ < text_.size() &&
                   (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                    text_[pos_] == '.' || text_[pos_] == '+' ||
                    text_[pos_] == '-'))
                ++pos_;
            std::string number(text_.substr(start, pos_ - start));
            if (number.empty()) {
                error_ = "an if line compares " + name + " with no number";
                return false;
            }
            if (!is_sa_number(number)) {
                error_ = "an if line compares " + name + " with \"" + number +
                         "\", which is no number; SpamAssassin writes 4.0.1 "
                         "as 4.000001";
                return false;
            }
            // Perl compares the two as floating-point numbers, and so does
            // this: 4.000001 >= 4.0000005 holds in both.
            double want = std::strtod(number.c_str(), nullptr);
            std::string_view o(op);
            return o == ">="   ? have >= want
                   : o == "<=" ? have <= want
                   : o == "==" ? have == want
                   : o == "!=" ? have != want
                   : o == ">"  ? have > want
                               : have < want;
        }
        error_ = "an if line names " + name + " with no comparison";
        return false;
    }

    bool atom() {
        std::string name = word();
        if (name == "plugin" || name == "can" || name == "has") {
            std::string argument;
            if (!take("(") || (argument = word()).empty() || !take(")")) {
                error_ = "an if line has a malformed " + name + "(...)";
                return false;
            }
            // spam-score loads no SpamAssassin plugin.
            return name != "plugin" && has_feature(argument, compat_);
        }
        if (name == "version")
            return comparison(name, compatible_version);
        if (name == "perl_version")
            return comparison(name, compatible_perl_version);
        // SpamAssassin's "local_tests_only" is true when it runs no
        // network tests, and spam-score never does.
        if (name == "local_tests_only")
            return true;
        char* end = nullptr;
        double number = std::strtod(name.c_str(), &end);
        if (!name.empty() && *end == '\0')
            return number != 0;
        error_ = name.empty() ? "an if line is empty or malformed"
                              : "an if line names \"" + name +
                                    "\", which spam-score cannot evaluate";
        return false;
    }

    std::string_view text_;
    const std::set<std::string>& compat_;
    size_t pos_ = 0;
    int depth_ = 0;
    std::string error_;
};

} // namespace

bool has_feature(std::string_view name, const std::set<std::string>& compat) {
    // SpamAssassin's capability flags that hold here in the sense it means
    // them; every other one, and every plugin's, is false (the table in
    // share/doc/spam-score.md says why for each that its rules ask).
    static const char* held[] = {
        // Its bug 6558: "tflags multiple" looping; counting here always
        // moves on.
        "Mail::SpamAssassin::Conf::feature_bug6558_free",
        // Perl 5.10's regex syntax is read, and what RE2 cannot run of it
        // is refused rule by rule.
        "Mail::SpamAssassin::Conf::perl_min_version_5010000",
        // SpamAssassin 4's welcomelist and blocklist names are read where
        // the old whitelist and blacklist ones are.
        "Mail::SpamAssassin::Conf::feature_welcomelist_blocklist",
        "Mail::SpamAssassin::Conf::feature_blocklist_welcomelist",
        // :addr and :name give every address of a field, one a line.
        "Mail::SpamAssassin::Conf::feature_header_match_many",
        "Mail::SpamAssassin::Conf::feature_local_tests_only",
        "Mail::SpamAssassin::Conf::has_tflags_nosubject",
    };
    for (const char* feature : held)
        if (name == feature)
            return true;
    constexpr std::string_view compat_prefix =
        "Mail::SpamAssassin::Conf::compat_";
    return name.starts_with(compat_prefix) &&
           compat.count(std::string(name.substr(compat_prefix.size()))) > 0;
}

bool evaluate_condition(std::string_view expression, std::string& problem,
                        const std::set<std::string>& compat) {
    return ConditionReader(expression, compat).read(problem);
}

bool Conditions::read(std::string_view directive, std::string_view rest,
                      std::string& problem) {
    if (directive == "ifplugin") {
        if (rest.find_first_not_of(" \t") == std::string_view::npos)
            problem = "ifplugin names no plugin";
        blocks_.push_back({false, false});
        return true;
    }
    if (directive == "if") {
        // An expression that cannot be read guards nothing that is read.
        blocks_.push_back({evaluate_condition(rest, problem, compat_), false});
        return true;
    }
    if (directive == "else") {
        if (blocks_.empty() || blocks_.back().in_else)
            problem = "else without an if";
        else
            blocks_.back() = {!blocks_.back().value, true};
        return true;
    }
    if (directive == "endif") {
        if (blocks_.empty())
            problem = "endif without an if";
        else
            blocks_.pop_back();
        return true;
    }
    return false;
}

bool Conditions::active() const {
    for (const Block& block : blocks_)
        if (!block.value)
            return false;
    return true;
}

size_t Conditions::close_all() {
    size_t open = blocks_.size();
    blocks_.clear();
    return open;
}

// SpamAssassin's enable_compat: a name of letters, digits and _.
bool Conditions::enable_compat(std::string_view name, std::string& problem) {
    bool valid =
        !name.empty() && name.size() <= 128 &&
        std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
    if (!valid) {
        problem = "enable_compat takes a name of letters, digits and _";
        return false;
    }
    compat_.insert(std::string(name));
    return true;
}

} // namespace portcullis::spam_score
