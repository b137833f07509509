// A small recursive-descent reader for the expressions of "if" lines:
// ! && || ( ), version and perl_version comparisons, plugin(NAME),
// can(NAME) and numbers.
#include "spam_score_conditions.hpp"

#include <cctype>
#include <cstdlib>

namespace portcullis::spam_score {

namespace {

class ConditionReader {
public:
    explicit ConditionReader(std::string_view text) : text_(text) {}

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

    bool atom() {
        std::string name = word();
        if (name == "plugin" || name == "can") {
            // spam-score has no plugin and none of the features can()
            // asks about; the argument is read and ignored.
            if (!take("(") || word().empty() || !take(")"))
                error_ = "an if line has a malformed " + name + "(...)";
            return false;
        }
        if (name == "version" || name == "perl_version") {
            double have = name == "version" ? compatible_version : 5.036;
            static const char* operators[] = {">=", "<=", "==", "!=", ">", "<"};
            for (const char* op : operators) {
                if (!take(op))
                    continue;
                std::string number = word();
                char* end = nullptr;
                double want = std::strtod(number.c_str(), &end);
                if (number.empty() || *end != '\0') {
                    error_ = "an if line compares " + name + " with no number";
                    return false;
                }
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
    size_t pos_ = 0;
    int depth_ = 0;
    std::string error_;
};

} // namespace

bool evaluate_condition(std::string_view expression, std::string& problem) {
    return ConditionReader(expression).read(problem);
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
        blocks_.push_back({evaluate_condition(rest, problem), false});
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

} // namespace portcullis::spam_score
