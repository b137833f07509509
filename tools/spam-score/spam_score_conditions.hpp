// SpamAssassin's conditional blocks in .cf files: "ifplugin NAME",
// "if EXPR", "else", "endif". spam-score loads no SpamAssassin plugins
// and has none of the features "can(...)" asks about, so what such a
// block guards is skipped, as SpamAssassin itself skips it when the
// plugin is not loaded; "if !plugin(...)" and version checks read as
// SpamAssassin 4.0 would read them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::spam_score {

/// The SpamAssassin version whose rule syntax spam-score reads, as
/// "version" compares it: 4.0.0.
inline constexpr double compatible_version = 4.000000;

/// Evaluates the expression of an "if" line. Returns false and sets
/// problem when the expression cannot be read.
bool evaluate_condition(std::string_view expression, std::string& problem);

/// The open conditional blocks of one file.
class Conditions {
public:
    /// Reads a conditional directive; returns false when directive is
    /// not one. problem is set when the line is malformed.
    bool read(std::string_view directive, std::string_view rest,
              std::string& problem);
    /// Whether lines here are read: every open block is true.
    bool active() const;
    /// Blocks left open at the end of a file; clears them.
    size_t close_all();

private:
    struct Block {
        bool value;
        bool in_else;
    };
    std::vector<Block> blocks_;
};

} // namespace portcullis::spam_score
