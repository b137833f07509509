// Meta rule expressions: rule names combined with ! && || ( ), + - * /
// and comparisons, as SpamAssassin's meta lines write them. A name
// stands for 1 when that rule fired and 0 when it did not.
#pragma once

#include "core/result.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::spam_score {

/// A parsed meta expression.
class MetaExpression {
public:
    /// Parses an expression; errors say what was expected where.
    static Result<std::unique_ptr<MetaExpression>> parse(std::string_view text);

    /// Resolves each name to the number evaluate() passes for it.
    void bind(const std::function<int(const std::string&)>& id_of);

    /// Returns the expression's value given the value of each bound name.
    double evaluate(const std::function<double(int)>& value) const;

    /// Returns every rule name the expression reads.
    const std::vector<std::string>& names() const { return names_; }
    /// The ids bind() gave the names, in the same order; -1 for none.
    const std::vector<int>& ids() const { return ids_; }

    struct Node {
        char op = 0; ///< 'n' number, 'v' name, '!' 'u' unary, else binary
        double number = 0;
        std::string name;
        int id = -1; ///< the name's number, once bound
        int left = -1;
        int right = -1;
    };

private:
    double eval(int node, const std::function<double(int)>& value) const;

    std::vector<Node> nodes_;
    int root_ = -1;
    std::vector<int> ids_;
    std::vector<std::string> names_;
    friend class MetaParser;
};

} // namespace portcullis::spam_score
