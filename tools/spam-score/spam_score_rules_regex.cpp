// Turning SpamAssassin's Perl patterns into RE2's. SpamAssassin matches
// bytes, so patterns compile as Latin-1, \xNN is one byte, and bytes over
// \x7f are kept out of RE2's Latin-1 case folding, as Perl folds ASCII
// only. Perl forms RE2 reads otherwise ({,n}, \NNN, \e) are rewritten,
// and ^ and $ made to read body paragraphs ending in "\n" as Perl does.
#include "spam_score_rules_regex.hpp"
#include "core/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <tuple>
#include <vector>

namespace portcullis::spam_score {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_high(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

std::string hex_byte(unsigned value) {
    return fmt::format("\\x{:02x}", value);
}

// Strips the white space and comments that Perl's /x flag ignores,
// keeping escaped characters and character classes as written.
std::string strip_extended(std::string_view re) {
    std::string out;
    bool in_class = false;
    for (size_t i = 0; i < re.size(); ++i) {
        char c = re[i];
        if (c == '\\' && i + 1 < re.size()) {
            out += c;
            out += re[++i];
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            continue;
        }
        if (c == '#') {
            while (i < re.size() && re[i] != '\n')
                ++i;
            continue;
        }
        if (!std::isspace(static_cast<unsigned char>(c)))
            out += c;
    }
    return out;
}

// What letters a class escape (\w) or POSIX class ([:alpha:]) holds.
enum class Letters {
    none,
    both_cases, ///< each in both cases, so folding adds nothing
    unfoldable, ///< \p{...} and the like: what they fold to is unknown here
};

// One item of a character class: its RE2 text, and the character it
// stands for when it stands for one.
struct ClassItem {
    std::string text;
    int value = -1;
    Letters letters = Letters::none;
};

class Translator {
public:
    Translator(std::string_view re, bool fold, Anchors anchors)
        : re_(re), fold_(fold), anchors_(anchors) {}

    Result<std::string> run() {
        while (i_ < re_.size() && error_.empty())
            step();
        if (!error_.empty())
            return Error{"", error_};
        return out_;
    }

private:
    char peek(size_t ahead = 0) const {
        return i_ + ahead < re_.size() ? re_[i_ + ahead] : '\0';
    }

    void step() {
        char c = re_[i_];
        bool quantified = after_quantifier_;
        after_quantifier_ = false;
        switch (c) {
        case '\\':
            escape();
            return;
        case '[':
            character_class();
            return;
        case '{':
            brace(quantified);
            return;
        case '(':
            open_group();
            return;
        case ')':
            ++i_;
            out_ += ')';
            quantifiable_ = true;
            if (!folds_.empty()) {
                fold_ = folds_.back();
                folds_.pop_back();
            }
            return;
        case '^':
            ++i_;
            out_ += anchors_ == Anchors::paragraph ? "\\A" : "^";
            quantifiable_ = true;
            return;
        case '$':
            ++i_;
            out_ += anchors_ == Anchors::paragraph ? "(?m:$)" : "$";
            quantifiable_ = true;
            return;
        case '|':
            out_ += re_[i_++];
            quantifiable_ = false;
            return;
        case '*':
        case '+':
        case '?':
            out_ += re_[i_++];
            quantifiable_ = false;
            after_quantifier_ = true;
            return;
        }
        ++i_;
        if (is_high(c))
            byte(static_cast<unsigned char>(c));
        else
            out_ += c;
        quantifiable_ = true;
    }

    // A byte outside a class. Over \x7f it is kept out of case folding:
    // Perl folds no byte above ASCII, RE2's Latin-1 folds À with à.
    void byte(unsigned value) {
        if (value >= 0x80 && fold_)
            out_ += "(?-i:" + hex_byte(value) + ")";
        else
            out_ += hex_byte(value);
    }

    // Reads a numeric escape after the backslash: \xHH, \x{H...}, \0oo,
    // or \NNN, which Perl reads as an octal code when fewer groups than
    // NNN were opened before it, else as a back-reference. Returns the
    // code point, which may lie above \xff; nullopt for other escapes.
    std::optional<unsigned> escaped_code() {
        char kind = peek(1);
        if (kind == 'x')
            return hex_escape();
        if (kind == '0' || (kind >= '1' && kind <= '9' && is_digit(peek(2)))) {
            size_t digits = 1;
            while (is_digit(peek(1 + digits)))
                ++digits;
            unsigned long number = std::strtoul(
                std::string(re_.substr(i_ + 1, digits)).c_str(), nullptr, 10);
            if (kind != '0' && (number <= captures_ || kind > '7')) {
                error_ = fmt::format("\\{} is a back-reference, which RE2 "
                                     "cannot run",
                                     number);
                return 0;
            }
            ++i_;
            unsigned value = 0;
            for (int n = 0; n < 3 && peek() >= '0' && peek() <= '7'; ++n)
                value = value * 8 + static_cast<unsigned>(re_[i_++] - '0');
            return value;
        }
        return std::nullopt;
    }

    unsigned hex_escape() {
        i_ += 2;
        std::string digits;
        if (peek() == '{') {
            size_t close = re_.find('}', i_);
            if (close == std::string_view::npos) {
                error_ = "\\x{ is not closed";
                return 0;
            }
            digits = std::string(re_.substr(i_ + 1, close - i_ - 1));
            i_ = close + 1;
        } else {
            while (digits.size() < 2 && std::isxdigit(peek()))
                digits += re_[i_++];
        }
        unsigned long value =
            digits.empty() ? 0 : std::strtoul(digits.c_str(), nullptr, 16);
        return static_cast<unsigned>(std::min<unsigned long>(value, 0x110000));
    }

    // An escape RE2 would read otherwise than Perl; empty when none.
    static std::string refused_escape(char kind) {
        if (kind == 'v' || kind == 'V')
            return fmt::format("\\{} means another thing in RE2 than in "
                               "Perl; write the characters out",
                               kind);
        if (kind == 'C')
            return "\\C is not supported";
        return "";
    }

    // Copies an escape whose argument is in braces (\p{L}) or one letter.
    void copy_escape() {
        char kind = peek(1);
        out_ += '\\';
        out_ += kind;
        i_ += 2;
        bool braced = kind == 'p' || kind == 'P' || kind == 'N' ||
                      kind == 'o' || kind == 'g' || kind == 'k' ||
                      kind == 'b' || kind == 'B';
        if (braced && peek() == '{') {
            size_t close = re_.find('}', i_);
            size_t end = close == std::string_view::npos ? re_.size() : close;
            out_ += re_.substr(i_, end + 1 - i_);
            i_ = end + 1;
        } else if ((kind == 'p' || kind == 'P') && i_ < re_.size()) {
            out_ += re_[i_++];
        }
    }

    void escape() {
        char kind = peek(1);
        if (kind == '\0') {
            out_ += re_[i_++];
            return;
        }
        if (std::string why = refused_escape(kind); !why.empty()) {
            error_ = why;
            return;
        }
        quantifiable_ = true;
        if (auto code = escaped_code()) {
            // Perl matches a byte string against a character over \xff
            // never: the rule would be dead, or meant otherwise.
            if (*code > 0xff && error_.empty())
                error_ = fmt::format("\\x{{{:x}}} is above \\xff: rules "
                                     "match bytes, so write the character's "
                                     "UTF-8 bytes",
                                     *code);
            byte(*code & 0xff);
            return;
        }
        if (is_high(kind)) {
            i_ += 2;
            byte(static_cast<unsigned char>(kind));
            return;
        }
        switch (kind) {
        case 'e': // escape, which RE2 does not name
            i_ += 2;
            byte(0x1b);
            return;
        case 'Q':
        case 'E':
            // Perl quotes with \Q...\E when it builds a string, never in
            // a pattern read from a rule file: SpamAssassin refuses the
            // rule, and so does spam-score, rather than give it a meaning.
            if (error_.empty())
                error_ = fmt::format("\\{} is not read in a pattern: "
                                     "SpamAssassin refuses it too; escape "
                                     "each character instead",
                                     kind);
            i_ += 2;
            return;
        case 'Z':
            if (anchors_ == Anchors::paragraph) {
                i_ += 2;
                out_ += "(?m:$)";
                return;
            }
            break;
        }
        copy_escape();
    }

    ClassItem class_escape() {
        char kind = peek(1);
        ClassItem item;
        if (std::string why = refused_escape(kind); !why.empty()) {
            error_ = why;
            return item;
        }
        if (auto code = escaped_code()) {
            item.value = static_cast<int>(*code);
            item.text = *code > 0xff ? "" : hex_byte(*code);
            return item;
        }
        if (is_high(kind)) {
            i_ += 2;
            item.value = static_cast<unsigned char>(kind);
            item.text = hex_byte(static_cast<unsigned>(item.value));
            return item;
        }
        // Classes by escape: without letters, with both cases of each,
        // or (\p, \P) with letters no fold of ours can follow.
        static const std::string_view letter_free = "sdWntrfae";
        static const std::string_view both_cases = "wDS";
        static const std::string_view controls = "ntrfae";
        static const int control_values[] = {'\n', '\t', '\r',
                                             '\f', 0x07, 0x1b};
        if (kind == 'e') {
            i_ += 2;
            item.value = 0x1b;
            item.text = hex_byte(0x1b);
            return item;
        }
        if (size_t at = controls.find(kind); at != std::string_view::npos)
            item.value = control_values[at];
        else if (!is_alnum(kind))
            item.value = static_cast<unsigned char>(kind);
        else if (both_cases.find(kind) != std::string_view::npos)
            item.letters = Letters::both_cases;
        else if (letter_free.find(kind) == std::string_view::npos)
            item.letters = Letters::unfoldable;
        std::string saved = std::move(out_);
        out_.clear();
        copy_escape();
        item.text = std::move(out_);
        out_ = std::move(saved);
        return item;
    }

    ClassItem posix_class(size_t close) {
        ClassItem item;
        std::string_view name = re_.substr(i_ + 2, close - i_ - 2);
        item.text = std::string(re_.substr(i_, close + 2 - i_));
        i_ = close + 2;
        if (name.starts_with("^")) {
            name.remove_prefix(1);
            item.letters = Letters::unfoldable;
        }
        static const std::string_view no_letters[] = {"digit", "space", "blank",
                                                      "cntrl", "punct"};
        static const std::string_view closed[] = {
            "alpha", "alnum", "word", "xdigit", "print", "graph", "ascii"};
        if (std::find(std::begin(no_letters), std::end(no_letters), name) !=
            std::end(no_letters))
            return item;
        if (item.letters == Letters::none &&
            std::find(std::begin(closed), std::end(closed), name) !=
                std::end(closed))
            item.letters = Letters::both_cases;
        else
            item.letters = Letters::unfoldable;
        return item;
    }

    ClassItem class_item() {
        if (peek() == '\\')
            return class_escape();
        if (peek() == '[' && peek(1) == ':') {
            size_t close = re_.find(":]", i_ + 2);
            if (close != std::string_view::npos)
                return posix_class(close);
        }
        ClassItem item;
        char c = re_[i_++];
        item.value = static_cast<unsigned char>(c);
        if (is_high(c))
            item.text = hex_byte(static_cast<unsigned>(item.value));
        else if (std::ispunct(static_cast<unsigned char>(c)))
            item.text = std::string("\\") + c;
        else
            item.text = std::string(1, c);
        return item;
    }

    // The other case of the ASCII letters from low to high, as class
    // text.
    static std::string other_cases(int low, int high) {
        std::string out;
        for (auto [first, last, shift] : {std::tuple{'A', 'Z', 'a' - 'A'},
                                          std::tuple{'a', 'z', 'A' - 'a'}}) {
            int from = std::max(low, static_cast<int>(first));
            int to = std::min(high, static_cast<int>(last));
            if (from > to)
                continue;
            out += static_cast<char>(from + shift);
            if (to > from)
                out += "-" + std::string(1, static_cast<char>(to + shift));
        }
        return out;
    }

    // What a class holds so far.
    struct ClassText {
        std::string text = "[";
        std::string cases; ///< the other case of its ASCII letters
        bool high = false; ///< holds a byte over \x7f
        bool unfoldable = false;
        bool members = false;
    };

    // Adds one member, an item or a range, to a class. Members above
    // \xff never match a byte, in Perl either, and are left out.
    void class_member(ClassText& out) {
        ClassItem item = class_item();
        int low = item.value;
        int top = item.value;
        std::string end_text;
        if (peek() == '-' && peek(1) != ']' && item.value >= 0) {
            ++i_;
            ClassItem end = class_item();
            if (end.value < 0) {
                error_ = "a range in a character class ends in a class";
                return;
            }
            top = end.value;
            end_text = top > 0xff ? hex_byte(0xff) : end.text;
        }
        out.unfoldable = out.unfoldable || item.letters == Letters::unfoldable;
        if (low > 0xff)
            return;
        out.members = true;
        out.text += item.text;
        if (!end_text.empty())
            out.text += "-" + end_text;
        if (low >= 0) {
            out.cases += other_cases(low, std::min(top, 0xff));
            out.high = out.high || top >= 0x80;
        }
    }

    // A class with bytes over \x7f is kept out of RE2's Latin-1 case
    // folding; under /i its ASCII letters are then given in both cases,
    // which is all Perl folds on bytes.
    void character_class() {
        ClassText out;
        ++i_;
        bool negated = peek() == '^';
        if (negated) {
            out.text += '^';
            ++i_;
        }
        for (bool first = true; error_.empty(); first = false) {
            if (i_ >= re_.size()) {
                error_ = "a character class is not closed";
                return;
            }
            if (peek() == ']' && !first)
                break;
            class_member(out);
        }
        ++i_;
        quantifiable_ = true;
        if (!out.members) {
            // Only characters over \xff: nothing, or any byte, matches.
            if (!negated)
                error_ = "a character class holds only characters above "
                         "\\xff, which never match a byte";
            out_ += "[\\x00-\\xff]";
            return;
        }
        if (!out.high || !fold_) {
            out_ += out.text + "]";
            return;
        }
        if (out.unfoldable) {
            error_ = "a case-insensitive character class with bytes over "
                     "\\x7f and \\p or [:upper:] is not supported";
            return;
        }
        out_ += "(?-i:" + out.text + out.cases + "])";
    }

    // Perl 5.34 reads {,n} as {0,n} and allows blanks inside the braces;
    // RE2 reads both as literal text. A brace where no quantifier may
    // stand, or that is no quantifier, is a literal in Perl and here.
    void brace(bool quantified) {
        size_t close = re_.find('}', i_);
        std::optional<std::string> quantifier;
        if (close != std::string_view::npos)
            quantifier = read_quantifier(re_.substr(i_ + 1, close - i_ - 1));
        if (quantifier && quantified) {
            error_ = "nested quantifiers";
            return;
        }
        if (!quantifier || !quantifiable_) {
            out_ += "\\{";
            ++i_;
            quantifiable_ = true;
            return;
        }
        out_ += *quantifier;
        i_ = close + 1;
        quantifiable_ = false;
        after_quantifier_ = true;
    }

    static std::optional<std::string> read_quantifier(std::string_view inner) {
        auto blanks = [](std::string_view& s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
                s.remove_prefix(1);
        };
        auto digits = [&](std::string_view& s) {
            blanks(s);
            size_t n = 0;
            while (n < s.size() && is_digit(s[n]))
                ++n;
            std::string out(s.substr(0, n));
            s.remove_prefix(n);
            blanks(s);
            return out;
        };
        std::string low = digits(inner);
        if (inner.empty())
            return low.empty() ? std::nullopt
                               : std::optional<std::string>("{" + low + "}");
        if (inner.front() != ',')
            return std::nullopt;
        inner.remove_prefix(1);
        std::string high = digits(inner);
        if (!inner.empty() || (low.empty() && high.empty()))
            return std::nullopt;
        return "{" + (low.empty() ? "0" : low) + "," + high + "}";
    }

    void open_group() {
        // (?#...) is a comment in Perl, and unknown to RE2.
        if (peek(1) == '?' && peek(2) == '#') {
            size_t close = re_.find(')', i_);
            i_ = close == std::string_view::npos ? re_.size() : close + 1;
            return;
        }
        // Groups that capture, counted for \NNN: plain and named ones.
        bool named = peek(1) == '?' &&
                     ((peek(2) == '<' && std::isalpha(peek(3))) ||
                      peek(2) == '\'' || (peek(2) == 'P' && peek(3) == '<'));
        if (peek(1) != '?' || named)
            ++captures_;
        quantifiable_ = false;
        if (peek(1) != '?') {
            out_ += re_[i_++];
            folds_.push_back(fold_);
            return;
        }
        // (?flags) changes case folding for the rest of its group,
        // (?flags:...) inside it alone.
        size_t end = i_ + 2;
        while (end < re_.size() &&
               (std::isalpha(static_cast<unsigned char>(re_[end])) ||
                re_[end] == '-'))
            ++end;
        std::string_view flags = re_.substr(i_ + 2, end - i_ - 2);
        bool fold = fold_;
        if (size_t at = flags.find('i'); at != std::string_view::npos)
            fold = flags.find('-') > at;
        char next = end < re_.size() ? re_[end] : '\0';
        if (!flags.empty() && (next == ')' || next == ':')) {
            out_ += re_.substr(i_, end + 1 - i_);
            i_ = end + 1;
            if (next == ')') {
                fold_ = fold;
                return;
            }
            folds_.push_back(fold_);
            fold_ = fold;
            return;
        }
        out_ += re_[i_++];
        folds_.push_back(fold_);
    }

    std::string_view re_;
    bool fold_;               ///< whether case folding is on here
    std::vector<bool> folds_; ///< fold_ outside each open group
    Anchors anchors_;
    size_t i_ = 0;
    bool quantifiable_ = false;
    bool after_quantifier_ = false;
    unsigned long captures_ = 0;
    std::string out_;
    std::string error_;
};

char closing_delimiter(char open) {
    switch (open) {
    case '{':
        return '}';
    case '(':
        return ')';
    case '[':
        return ']';
    case '<':
        return '>';
    }
    return open;
}

} // namespace

Result<std::string> translate_regex(std::string_view re, bool fold,
                                    Anchors anchors) {
    return Translator(re, fold, anchors).run();
}

RE2::Options rule_options(size_t max_mem_bytes) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_max_mem(static_cast<int64_t>(max_mem_bytes));
    return options;
}

// Reads /re/flags or m{re}flags and turns Perl's flags into RE2's
// inline ones.
Result<PerlRegex> read_regex(std::string_view s, Anchors anchors) {
    s = trim_space(s);
    if (s.size() >= 2 && s[0] == 'm' && !is_alnum(s[1]))
        s.remove_prefix(1);
    if (s.empty() || is_alnum(s[0]) ||
        std::isspace(static_cast<unsigned char>(s[0])))
        return Error{"", "expected a regular expression"};
    char open = s[0];
    char close = closing_delimiter(open);
    size_t i = 1;
    int depth = 1;
    for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (open != close && s[i] == open)
            ++depth;
        else if (s[i] == close && --depth == 0)
            break;
    }
    if (i >= s.size())
        return Error{"", "regular expression is not closed"};
    std::string body(s.substr(1, i - 1));
    size_t flags_end = i + 1;
    while (flags_end < s.size() &&
           std::isalpha(static_cast<unsigned char>(s[flags_end])))
        ++flags_end;
    std::string_view flags = s.substr(i + 1, flags_end - i - 1);
    std::string inline_flags;
    for (char f : flags) {
        if (f == 'i' || f == 's' || f == 'm')
            inline_flags += f;
        else if (f == 'x')
            body = strip_extended(body);
        else if (f != 'g' && f != 'o')
            return Error{"",
                         fmt::format("regex flag \"{}\" is not supported", f)};
    }
    if (open != '/' && close == '/')
        return Error{"", "bad delimiter"};
    bool fold = inline_flags.find('i') != std::string::npos;
    auto translated = translate_regex(body, fold, anchors);
    if (!translated)
        return translated.error();
    PerlRegex out;
    out.pattern = inline_flags.empty()
                      ? *translated
                      : "(?" + inline_flags + ")" + *translated;
    out.rest = std::string(trim_space(s.substr(flags_end)));
    return out;
}

} // namespace portcullis::spam_score
