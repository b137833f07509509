// Inline CSS as browsers read it, for what hides text.
#include "mail/css_style.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace portcullis::text {

namespace {

// CSS comments separate tokens and say nothing.
std::string without_css_comments(std::string_view css) {
    std::string out;
    for (size_t pos = 0; pos < css.size();) {
        if (css.substr(pos, 2) != "/*") {
            out += css[pos++];
            continue;
        }
        size_t end = css.find("*/", pos + 2);
        pos = end == css.npos ? css.size() : end + 2;
        out += ' ';
    }
    return out;
}

// CSS escapes: "\6e " or "\6e" is 'n', "\n" is 'n': "display:\6e one"
// hides as "display:none" does.
std::string without_css_escapes(std::string_view css) {
    std::string out;
    out.reserve(css.size());
    for (size_t pos = 0; pos < css.size();) {
        if (css[pos] != '\\' || pos + 1 >= css.size()) {
            out += css[pos++];
            continue;
        }
        size_t start = ++pos;
        unsigned long cp = 0;
        while (pos < css.size() && pos - start < 6 &&
               std::isxdigit(static_cast<unsigned char>(css[pos]))) {
            char c = ascii_lower(css[pos++]);
            cp = cp * 16 +
                 static_cast<unsigned long>(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        if (pos == start) {
            out += css[pos++];
            continue;
        }
        if (pos < css.size() && is_html_space(css[pos]))
            ++pos;
        append_utf8(out, cp == 0 || cp > 0x10FFFF ? char32_t{0xFFFD}
                                                  : static_cast<char32_t>(cp));
    }
    return out;
}

// The declarations of a style, split at the ';' outside strings and
// brackets: in "x:'; display:none; '" the string holds the ';'s, and
// no display is declared, as browsers read it.
std::vector<std::string_view> declarations_of(std::string_view css) {
    std::vector<std::string_view> out;
    char quote = 0;
    int depth = 0;
    size_t start = 0;
    for (size_t pos = 0; pos < css.size(); ++pos) {
        char c = css[pos];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '(' || c == '[' || c == '{') {
            ++depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            --depth;
        } else if (c == ';' && depth == 0) {
            out.push_back(css.substr(start, pos - start));
            start = pos + 1;
        }
    }
    out.push_back(css.substr(start));
    return out;
}

// How many CSS pixels one unit of font-size is. Em, rem, ex, ch and %
// are taken of the 16px font readers start with, and a number without
// a unit is pixels, as browsers read it in the quirks mode most mail is
// shown in; the viewport's units are left out, as only zero is sure.
std::optional<double> pixels_per_unit(std::string_view unit) {
    static constexpr std::pair<std::string_view, double> units[] = {
        {"", 1},    {"px", 1},         {"pt", 96.0 / 72}, {"pc", 16},
        {"in", 96}, {"cm", 96 / 2.54}, {"mm", 96 / 25.4}, {"q", 96 / 101.6},
        {"em", 16}, {"rem", 16},       {"ex", 8},         {"ch", 8},
        {"%", 0.16}};
    for (const auto& [name, pixels] : units)
        if (unit == name)
            return pixels;
    return std::nullopt;
}

bool is_viewport_unit(std::string_view unit) {
    static constexpr std::string_view units[] = {"vw",  "vh",  "vmin", "vmax",
                                                 "vi",  "vb",  "svw",  "svh",
                                                 "lvw", "lvh", "dvw",  "dvh"};
    return std::find(std::begin(units), std::end(units), unit) !=
           std::end(units);
}

// Splits a length into its number and unit; false when it is none (a
// unit browsers do not know makes the declaration invalid: "0zz").
bool split_length(std::string_view value, double& size,
                  std::string_view& unit) {
    if (value.starts_with('+'))
        value.remove_prefix(1);
    size_t end = value.find_first_not_of("0123456789.");
    std::string_view number = value.substr(0, end);
    auto [stop, error] =
        std::from_chars(number.data(), number.data() + number.size(), size);
    if (number.empty() || error != std::errc() ||
        stop != number.data() + number.size())
        return false;
    unit = value.substr(number.size());
    return pixels_per_unit(unit).has_value() || is_viewport_unit(unit);
}

bool is_size_keyword(std::string_view word) {
    static constexpr std::string_view keywords[] = {
        "xx-small", "x-small",  "small",     "medium", "large",
        "x-large",  "xx-large", "xxx-large", "larger", "smaller"};
    return std::find(std::begin(keywords), std::end(keywords), word) !=
           std::end(keywords);
}

} // namespace

Style::Style(std::string_view css) {
    std::string text =
        ascii_lower(without_css_escapes(without_css_comments(css)));
    size_t order = 0;
    for (std::string_view item : declarations_of(text)) {
        size_t colon = item.find(':');
        if (colon == item.npos)
            continue;
        std::string_view value = trim_space(item.substr(colon + 1));
        bool important = false;
        size_t bang = value.rfind('!');
        if (bang != value.npos &&
            trim_space(value.substr(bang + 1)) == "important") {
            important = true;
            value = trim_space(value.substr(0, bang));
        }
        ++order;
        std::string_view property = trim_space(item.substr(0, colon));
        auto read = std::find(std::begin(read_), std::end(read_), property);
        if (read == std::end(read_))
            continue;
        // The last declaration of a property wins, unless an earlier
        // one is "!important" and it is not.
        auto& kept = declarations_[static_cast<size_t>(read - read_)];
        if (!kept || important || !kept->important)
            kept = Declaration{std::string(value), important, order};
    }
}

const Style::Declaration* Style::find(std::string_view property) const {
    auto read = std::find(std::begin(read_), std::end(read_), property);
    if (read == std::end(read_))
        return nullptr;
    const auto& kept = declarations_[static_cast<size_t>(read - read_)];
    return kept ? &*kept : nullptr;
}

std::string_view Style::get(std::string_view property) const {
    const Declaration* found = find(property);
    return found ? std::string_view(found->value) : std::string_view();
}

const char* Style::applied(const char* first, const char* second) const {
    const Declaration* a = find(first);
    const Declaration* b = find(second);
    if (!a || !b)
        return a ? first : b ? second : nullptr;
    if (a->important != b->important)
        return a->important ? first : second;
    return a->order > b->order ? first : second; // the later one
}

bool is_tiny_length(std::string_view value) {
    constexpr double smallest_legible_px = 2;
    double size = 0;
    std::string_view unit;
    if (!split_length(value, size, unit))
        return false;
    if (size == 0)
        return true;
    auto pixels = pixels_per_unit(unit);
    return pixels && size * *pixels < smallest_legible_px - 1e-9;
}

std::string_view font_shorthand_size(std::string_view value) {
    for (size_t pos = 0; pos < value.size();) {
        size_t end =
            std::min(value.find_first_of(" \t\n\r\f", pos), value.size());
        std::string_view word = value.substr(pos, end - pos);
        pos = end + 1;
        word = word.substr(0, word.find('/'));
        if (is_size_keyword(word))
            return word;
        if (word.empty() ||
            !(std::isdigit(static_cast<unsigned char>(word.front())) ||
              word.front() == '.'))
            continue;
        if (!std::isdigit(static_cast<unsigned char>(word.back())) ||
            word.find_first_not_of("0.") == word.npos) {
            // The shorthand needs a family after its size: "font: 0"
            // alone is invalid, and browsers drop it.
            size_t family = value.find_first_not_of(" \t\n\r\f", pos);
            return pos < value.size() && family != value.npos
                       ? word
                       : std::string_view();
        }
    }
    return {};
}

bool is_absolute_size(std::string_view value) {
    if (is_size_keyword(value))
        return value != "larger" && value != "smaller";
    if (value == "initial" || value.starts_with("calc("))
        return true;
    double size = 0;
    std::string_view unit;
    if (is_tiny_length(value) || !split_length(value, size, unit))
        return false;
    return unit != "em" && unit != "ex" && unit != "ch" && unit != "%";
}

bool is_legacy_font_size(std::string_view value) {
    value = trim_space(value);
    if (!value.empty() && (value.front() == '+' || value.front() == '-'))
        value.remove_prefix(1);
    return !value.empty() &&
           std::isdigit(static_cast<unsigned char>(value.front()));
}

} // namespace portcullis::text
