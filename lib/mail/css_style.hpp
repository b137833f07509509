// Inline CSS as browsers read it, for what hides text: the declarations
// of a style attribute, font sizes and their units.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::text {

// The declarations of one style attribute, as a browser applies them:
// blanks, case, comments and "!important" do not hide a declaration
// from us ("Display : NONE !important", "display:/**/none").
// Only the properties read here are kept, and of each only the
// declaration a browser applies: a style of millions of declarations
// costs its bytes, not millions of strings.
class Style {
public:
    explicit Style(std::string_view css);

    /// Returns the value a browser uses for property, in lower case and
    /// trimmed, or empty when the style does not set it.
    std::string_view get(std::string_view property) const;

    /// Of two properties that set one thing ("font-size" and the "font"
    /// shorthand), returns the one whose declaration a browser applies,
    /// or nullptr when the style sets neither.
    const char* applied(const char* first, const char* second) const;

private:
    static constexpr std::string_view read_[] = {"display",      "visibility",
                                                 "font-size",    "font",
                                                 "unicode-bidi", "direction"};
    struct Declaration {
        std::string value;
        bool important = false;
        size_t order = 0; ///< its place among the declarations
    };
    const Declaration* find(std::string_view property) const;
    std::array<std::optional<Declaration>, std::size(read_)> declarations_;
};

/// Whether a font-size value is a length under two pixels, too small for
/// any letter to be read: "0", "0.0em", "0%", "1px", "0.1em" and "1pt"
/// are; "0.9em", "2px", "75%" and keywords such as "xx-small" are not,
/// nor what is no length at all ("0zz").
bool is_tiny_length(std::string_view value);

/// The size the "font" shorthand gives: its first length or size
/// keyword, before an optional "/line-height" ("font: 0/0 a"); a number
/// without a unit before it is a weight ("font: 700 12px Arial"). Empty
/// when it gives none, or no family after it (browsers drop "font: 0").
std::string_view font_shorthand_size(std::string_view value);

/// Whether a font size sets a readable size of its own, not one relative
/// to the parent's: "14px", "9pt", "medium", "initial" and "calc(...)"
/// do; "1.5em", "120%" and "larger" do not.
bool is_absolute_size(std::string_view value);

/// Whether a <font size> value is one HTML's legacy rules read: a number,
/// with or without a sign, after blanks; any such size is 1 to 7,
/// readable (size=0 is size 1).
bool is_legacy_font_size(std::string_view value);

} // namespace portcullis::text
