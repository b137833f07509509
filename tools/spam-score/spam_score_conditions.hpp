// SpamAssassin's conditional blocks in .cf files: "ifplugin NAME",
// "if EXPR", "else", "endif". spam-score loads no SpamAssassin plugins,
// so ifplugin blocks and plugin(...) are false; can(...) and has(...)
// are true for the few features spam-score has in SpamAssassin's sense,
// and version compares as SpamAssassin 4.0.1.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::spam_score {

/// The SpamAssassin release "version" stands for in if lines, in its own
/// number format (minor and patch in three digits each): 4.0.1, the
/// release whose rule files and behaviour spam-score is checked against.
inline constexpr double compatible_version = 4.000001;

/// The Perl release "perl_version" stands for: 5.36, whose regex syntax
/// the translator reads (Perl 5.34's {,n} among it).
inline constexpr double compatible_perl_version = 5.036;

/// Whether spam-score has what can(NAME) or has(NAME) asks about, in the
/// sense SpamAssassin means; compat holds the names enable_compat set.
bool has_feature(std::string_view name, const std::set<std::string>& compat);

/// Evaluates the expression of an "if" line. Returns false and sets
/// problem when the expression cannot be read.
bool evaluate_condition(std::string_view expression, std::string& problem,
                        const std::set<std::string>& compat = {});

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
    /// Reads "enable_compat NAME", which makes
    /// can(Mail::SpamAssassin::Conf::compat_NAME) true from here on.
    /// Returns false and sets problem when NAME is no such name.
    bool enable_compat(std::string_view name, std::string& problem);

private:
    struct Block {
        bool value;
        bool in_else;
    };
    std::vector<Block> blocks_;
    std::set<std::string> compat_;
};

} // namespace portcullis::spam_score
