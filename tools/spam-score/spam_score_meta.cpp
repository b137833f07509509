// A recursive-descent parser for meta expressions, with C's precedence:
// || below &&, below comparisons, below + -, below * /, below unary ! -.
#include "spam_score_meta.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

namespace portcullis::spam_score {

namespace {

// Parsing and evaluation recurse: an expression nested deeper, or longer,
// than any real rule is refused rather than allowed to exhaust the stack.
// Nesting counts parentheses and unary operators; terms are rule names
// and numbers, and operators are counted on their own.
constexpr int max_nesting = 128;
constexpr size_t max_terms = 4096;
constexpr size_t max_operators = 2 * max_terms;

} // namespace

class MetaParser {
public:
    explicit MetaParser(std::string_view text) : text_(text) {}

    Result<std::unique_ptr<MetaExpression>> run() {
        auto expression = std::make_unique<MetaExpression>();
        out_ = expression.get();
        int root = parse_or();
        skip_space();
        if (!error_.empty())
            return Error{"meta", error_};
        if (pos_ < text_.size())
            return Error{"meta", fmt::format("unexpected \"{}\"",
                                             text_.substr(pos_, 10))};
        expression->root_ = root;
        return expression;
    }

private:
    void skip_space() {
        while (pos_ < text_.size() &&
               std::isspace(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
    }

    bool take(std::string_view op) {
        skip_space();
        if (text_.substr(pos_, op.size()) != op)
            return false;
        // "<" must not eat the first half of "<=".
        if (op.size() == 1 && pos_ + 1 < text_.size() &&
            text_[pos_ + 1] == '=' && (op == "<" || op == ">" || op == "!"))
            return false;
        if (op.size() == 1 && (op == "&" || op == "|"))
            return false;
        pos_ += op.size();
        return true;
    }

    int add(MetaExpression::Node node) {
        bool term = node.op == 'n' || node.op == 'v';
        size_t& count = term ? terms_ : operators_;
        if (++count > (term ? max_terms : max_operators)) {
            if (error_.empty())
                error_ = term ? fmt::format("expression has more than {} "
                                            "rule names and numbers",
                                            max_terms)
                              : fmt::format("expression has more than {} "
                                            "operators",
                                            max_operators);
            return -1;
        }
        out_->nodes_.push_back(std::move(node));
        return static_cast<int>(out_->nodes_.size()) - 1;
    }

    int binary(char op, int left, int right) {
        MetaExpression::Node node;
        node.op = op;
        node.left = left;
        node.right = right;
        return add(node);
    }

    int parse_or() {
        int left = parse_and();
        while (error_.empty() && take("||"))
            left = binary('|', left, parse_and());
        return left;
    }

    int parse_and() {
        int left = parse_compare();
        while (error_.empty() && take("&&"))
            left = binary('&', left, parse_compare());
        return left;
    }

    int parse_compare() {
        int left = parse_sum();
        static const std::pair<const char*, char> ops[] = {
            {">=", 'G'}, {"<=", 'L'}, {"==", '='},
            {"!=", 'N'}, {">", '>'},  {"<", '<'}};
        for (;;) {
            bool matched = false;
            for (auto& [text, op] : ops) {
                if (error_.empty() && take(text)) {
                    left = binary(op, left, parse_sum());
                    matched = true;
                    break;
                }
            }
            if (!matched)
                return left;
        }
    }

    int parse_sum() {
        int left = parse_product();
        for (;;) {
            if (error_.empty() && take("+"))
                left = binary('+', left, parse_product());
            else if (error_.empty() && take("-"))
                left = binary('-', left, parse_product());
            else
                return left;
        }
    }

    int parse_product() {
        int left = parse_unary();
        for (;;) {
            if (error_.empty() && take("*"))
                left = binary('*', left, parse_unary());
            else if (error_.empty() && take("/"))
                left = binary('/', left, parse_unary());
            else
                return left;
        }
    }

    // Counts one level of nesting for as long as it lives.
    class Nested {
    public:
        explicit Nested(MetaParser& parser) : parser_(parser) {
            if (++parser_.depth_ > max_nesting && parser_.error_.empty())
                parser_.error_ =
                    fmt::format("nested more than {} deep", max_nesting);
        }
        ~Nested() { --parser_.depth_; }
        Nested(const Nested&) = delete;
        Nested& operator=(const Nested&) = delete;

    private:
        MetaParser& parser_;
    };

    int parse_unary() {
        if (!error_.empty())
            return -1;
        for (auto [text, op] : {std::pair{"!", '!'}, std::pair{"-", 'u'}}) {
            if (!take(text))
                continue;
            Nested level(*this);
            int operand = parse_unary();
            return binary(op, operand, -1);
        }
        return parse_atom();
    }

    int parse_atom() {
        skip_space();
        if (pos_ >= text_.size()) {
            error_ = "expression ends too early";
            return -1;
        }
        if (take("(")) {
            Nested level(*this);
            if (!error_.empty())
                return -1;
            int inner = parse_or();
            if (!take(")") && error_.empty())
                error_ = "missing \")\"";
            return inner;
        }
        char c = text_[pos_];
        size_t start = pos_;
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            while (pos_ < text_.size() &&
                   (std::isdigit(static_cast<unsigned char>(text_[pos_])) ||
                    text_[pos_] == '.'))
                ++pos_;
            MetaExpression::Node node;
            node.op = 'n';
            node.number = std::atof(
                std::string(text_.substr(start, pos_ - start)).c_str());
            return add(node);
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            while (pos_ < text_.size() &&
                   (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                    text_[pos_] == '_'))
                ++pos_;
            MetaExpression::Node node;
            node.op = 'v';
            node.name = std::string(text_.substr(start, pos_ - start));
            out_->names_.push_back(node.name);
            return add(node);
        }
        error_ = fmt::format("unexpected \"{}\"", c);
        return -1;
    }

    std::string_view text_;
    size_t pos_ = 0;
    int depth_ = 0;
    size_t terms_ = 0;
    size_t operators_ = 0;
    std::string error_;
    MetaExpression* out_ = nullptr;
};

Result<std::unique_ptr<MetaExpression>>
MetaExpression::parse(std::string_view text) {
    return MetaParser(text).run();
}

void MetaExpression::bind(const std::function<int(const std::string&)>& id_of) {
    ids_.clear();
    for (Node& node : nodes_)
        if (node.op == 'v') {
            node.id = id_of(node.name);
            ids_.push_back(node.id);
        }
}

double MetaExpression::evaluate(const std::function<double(int)>& value) const {
    return root_ < 0 ? 0 : eval(root_, value);
}

double MetaExpression::eval(int index,
                            const std::function<double(int)>& value) const {
    const Node& n = nodes_[static_cast<size_t>(index)];
    switch (n.op) {
    case 'n':
        return n.number;
    case 'v':
        return value(n.id);
    case '!':
        return eval(n.left, value) == 0 ? 1 : 0;
    case 'u':
        return -eval(n.left, value);
    case '|':
        return eval(n.left, value) != 0 || eval(n.right, value) != 0;
    case '&':
        return eval(n.left, value) != 0 && eval(n.right, value) != 0;
    }
    double a = eval(n.left, value);
    double b = eval(n.right, value);
    switch (n.op) {
    case '+':
        return a + b;
    case '-':
        return a - b;
    case '*':
        return a * b;
    case '/':
        return b == 0 ? 0 : a / b;
    case '>':
        return a > b;
    case '<':
        return a < b;
    case 'G':
        return a >= b;
    case 'L':
        return a <= b;
    case '=':
        return a == b;
    case 'N':
        return a != b;
    }
    return 0;
}

} // namespace portcullis::spam_score
