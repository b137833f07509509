// Structured header values, read in two steps: the text is cut into
// name=value pieces (quoted strings unescaped, folding removed), then the
// pieces of one name are joined: RFC 2231 sections in order, charsets
// converted, encoded-words in plain values decoded. Both steps are linear
// in the text, apart from sorting the sections of one name.
#include "mail/params.hpp"
#include "core/strings.hpp"

#include "mail/charset.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace portcullis::mime {

namespace {

// One name=value piece as written.
struct Piece {
    std::string name;     ///< lower case, without section or star
    int64_t section = -1; ///< -1 when the name has no section number
    bool extended = false;
    std::string value;
};

// The pieces that share one name, in order of appearance.
struct Group {
    std::string name;
    std::vector<const Piece*> plain;
    std::vector<const Piece*> starred;
    std::vector<const Piece*> sections;
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char lower_char(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Skips white space and (nested) comments.
void skip_cfws(std::string_view text, size_t& pos) {
    while (pos < text.size()) {
        if (is_space(text[pos])) {
            ++pos;
            continue;
        }
        if (text[pos] != '(')
            return;
        int depth = 0;
        for (; pos < text.size(); ++pos) {
            if (text[pos] == '\\') {
                ++pos;
            } else if (text[pos] == '(') {
                ++depth;
            } else if (text[pos] == ')' && --depth == 0) {
                ++pos;
                break;
            }
        }
    }
}

std::string read_token(std::string_view text, size_t& pos) {
    std::string token;
    skip_cfws(text, pos);
    while (pos < text.size() && text[pos] != ';') {
        if (text[pos] == '(') {
            skip_cfws(text, pos);
            continue;
        }
        if (!is_space(text[pos]))
            token.push_back(lower_char(text[pos]));
        ++pos;
    }
    return token;
}

std::string read_quoted(std::string_view text, size_t& pos) {
    std::string value;
    for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
        char c = text[pos];
        if (c == '\\' && pos + 1 < text.size()) {
            value.push_back(text[++pos]);
            continue;
        }
        if (c != '\r' && c != '\n') // folding inside a quoted string
            value.push_back(c);
    }
    if (pos < text.size())
        ++pos;
    // Whatever follows the closing quote up to the next ';' is junk.
    while (pos < text.size() && text[pos] != ';')
        ++pos;
    return value;
}

std::string read_bare(std::string_view text, size_t& pos) {
    size_t start = pos;
    while (pos < text.size() && text[pos] != ';')
        ++pos;
    std::string value;
    for (char c : trim_folding_space(text.substr(start, pos - start))) {
        if (c != '\r' && c != '\n')
            value.push_back(c);
    }
    return value;
}

// Splits "name*2*" into name, section 2 and the extended flag.
bool split_name(std::string_view written, Piece& piece) {
    size_t star = written.find('*');
    piece.name = ascii_lower(written.substr(0, star));
    if (star == std::string_view::npos)
        return !piece.name.empty();
    std::string_view rest = written.substr(star + 1);
    if (rest.empty() || rest.back() == '*') {
        piece.extended = true;
        if (!rest.empty())
            rest.remove_suffix(1);
    }
    if (rest.empty())
        return !piece.name.empty();
    if (rest.find_first_not_of("0123456789") != rest.npos)
        return false;
    // Any number of digits is a section, as other readers take it: one
    // numbered 65535 dropped here was joined by Python's email package,
    // so the name checked was not the one a reader saw. Numbers past 18
    // digits all sort last and, two of them, count as a repeat.
    constexpr size_t max_digits = 18;
    piece.section =
        rest.size() > max_digits ? INT64_MAX : std::stoll(std::string(rest));
    return !piece.name.empty();
}

// Reads the next piece; false at the end of the text.
bool next_piece(std::string_view text, size_t& pos, Piece& piece, bool& valid) {
    skip_cfws(text, pos);
    while (pos < text.size() && (text[pos] == ';' || is_space(text[pos])))
        ++pos;
    if (pos >= text.size())
        return false;
    size_t start = pos;
    while (pos < text.size() && text[pos] != '=' && text[pos] != ';')
        ++pos;
    valid = pos < text.size() && text[pos] == '=';
    if (!valid)
        return true; // a piece without '=' is junk: skip it
    piece = Piece{};
    valid =
        split_name(trim_folding_space(text.substr(start, pos - start)), piece);
    ++pos;
    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    piece.value = pos < text.size() && text[pos] == '"' ? read_quoted(text, pos)
                                                        : read_bare(text, pos);
    return true;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(text[i + 1]) << 4 |
                                            hex_digit(text[i + 2])));
            i += 2;
            continue;
        }
        out.push_back(text[i]);
    }
    return out;
}

// Splits "charset'language'value" off the first extended section.
std::string_view split_charset(std::string_view value, std::string& charset) {
    size_t first = value.find('\'');
    size_t second = first == std::string_view::npos
                        ? std::string_view::npos
                        : value.find('\'', first + 1);
    if (second == std::string_view::npos)
        return value;
    charset = ascii_lower(value.substr(0, first));
    return value.substr(second + 1);
}

Parameter from_plain(const Piece& piece) {
    Parameter p;
    p.name = piece.name;
    p.raw = piece.value;
    p.value = decode_encoded_words(piece.value);
    return p;
}

Parameter from_starred(const Piece& piece) {
    Parameter p;
    p.name = piece.name;
    p.raw = piece.value;
    p.extended = true;
    std::string_view rest = split_charset(piece.value, p.charset);
    p.value = to_utf8(percent_decode(rest), p.charset);
    return p;
}

// Joins RFC 2231 sections; a repeated section number is a duplicate.
Parameter from_sections(std::vector<const Piece*> sections, bool& repeated) {
    std::stable_sort(
        sections.begin(), sections.end(),
        [](const Piece* a, const Piece* b) { return a->section < b->section; });
    Parameter p;
    p.name = sections.front()->name;
    std::string bytes;
    for (size_t i = 0; i < sections.size(); ++i) {
        const Piece& piece = *sections[i];
        if (i > 0 && piece.section == sections[i - 1]->section) {
            repeated = true;
            continue;
        }
        p.raw += piece.value;
        std::string_view value = piece.value;
        if (piece.extended && piece.section == 0)
            value = split_charset(value, p.charset);
        bytes += piece.extended ? percent_decode(value) : std::string(value);
        p.extended = p.extended || piece.extended;
    }
    p.value = p.extended ? to_utf8(bytes, p.charset) : bytes;
    return p;
}

void add_group(HeaderValue& out, const Group& group) {
    bool duplicate = group.plain.size() > 1 || group.starred.size() > 1 ||
                     (!group.starred.empty() && !group.sections.empty());
    size_t first = out.parameters.size();
    // The RFC 2231 reading first: MUAs that know it prefer it.
    if (!group.sections.empty())
        out.parameters.push_back(from_sections(group.sections, duplicate));
    for (const Piece* piece : group.starred)
        out.parameters.push_back(from_starred(*piece));
    size_t first_plain = out.parameters.size();
    for (const Piece* piece : group.plain)
        out.parameters.push_back(from_plain(*piece));
    // name= beside name*= is the usual fallback for old readers; it is
    // only ambiguous when the two readings disagree.
    if (first_plain > first && first_plain < out.parameters.size() &&
        out.parameters[first].value != out.parameters[first_plain].value)
        duplicate = true;
    if (duplicate)
        out.duplicates.push_back(group.name);
}

} // namespace

const Parameter* HeaderValue::find(std::string_view name) const {
    for (const Parameter& p : parameters) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

std::string HeaderValue::get(std::string_view name) const {
    const Parameter* p = find(name);
    return p ? p->value : std::string();
}

std::vector<const Parameter*>
HeaderValue::find_all(std::string_view name) const {
    std::vector<const Parameter*> all;
    for (const Parameter& p : parameters) {
        if (p.name == name)
            all.push_back(&p);
    }
    return all;
}

HeaderValue parse_header_value(std::string_view text) {
    HeaderValue out;
    size_t pos = 0;
    out.token = read_token(text, pos);

    std::vector<Piece> pieces;
    Piece piece;
    bool valid = false;
    while (next_piece(text, pos, piece, valid)) {
        if (!valid)
            continue;
        if (pieces.size() == max_parameter_pieces) {
            out.truncated = true;
            break;
        }
        pieces.push_back(std::move(piece));
    }

    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> by_name;
    for (const Piece& p : pieces) {
        auto [it, fresh] = by_name.try_emplace(p.name, groups.size());
        if (fresh)
            groups.push_back(Group{p.name, {}, {}, {}});
        Group& group = groups[it->second];
        if (p.section >= 0)
            group.sections.push_back(&p);
        else if (p.extended)
            group.starred.push_back(&p);
        else
            group.plain.push_back(&p);
    }
    for (const Group& group : groups)
        add_group(out, group);
    return out;
}

TransferEncoding read_transfer_encoding(std::string_view value) {
    TransferEncoding out;
    size_t pos = 0;
    skip_cfws(value, pos);
    // Thunderbird and Outlook end the name where RFC 2045 would call the
    // whole value unknown; taking their reading decodes what they show.
    while (pos < value.size() && !is_space(value[pos]) &&
           std::string_view(";,(").find(value[pos]) == std::string_view::npos)
        out.name.push_back(lower_char(value[pos++]));
    out.odd = trim_folding_space(value).size() != out.name.size();
    return out;
}

} // namespace portcullis::mime
