// The raw scan: one pass over the message lines, after GMime has parsed
// it. GMime normalises line ends, stops at NULs in headers and forgives
// a missing close delimiter; a scanner must know all of these, so the
// bytes are read again here, with every boundary the walk found.
#include "mail/mime_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace portcullis::mime::detail {

namespace {

// Routes flags to parts by path, once per (id, part).
class Flagger {
public:
    explicit Flagger(Tree& tree) : tree_(tree) {
        for (size_t i = 0; i < tree.parts.size(); ++i) {
            if (tree.parts[i].origin == Origin::mime)
                by_path_.emplace(tree.parts[i].path, i);
        }
    }

    void flag(const std::string& id, const std::string& path,
              std::string detail = {}) {
        // Most repeats are the same flag on the next line of one part.
        auto [last, fresh] = last_path_.try_emplace(id, path);
        if (!fresh && last->second == path)
            return;
        last->second = path;
        std::string key = id;
        key.append("@").append(path);
        if (std::find(done_.begin(), done_.end(), key) != done_.end())
            return;
        done_.push_back(std::move(key));
        auto it = by_path_.find(path);
        if (it != by_path_.end()) {
            add_anomaly(tree_, &tree_.parts[it->second], id, std::move(detail));
            return;
        }
        tree_.anomalies.push_back({id, path, std::move(detail)});
    }

private:
    Tree& tree_;
    std::unordered_map<std::string, size_t> by_path_;
    std::unordered_map<std::string, std::string> last_path_;
    std::vector<std::string> done_;
};

// Where the scan is: which part's bytes, and whether in its headers.
struct Position {
    std::string path;      ///< the root's header path in the first block
    bool in_header = true; ///< the message's header block comes first
    bool top = true;       ///< in that first header block
    bool embedded = false; ///< in an attached message's own header block
    size_t header_bytes = 0;
};

struct Boundaries {
    std::unordered_map<std::string_view, size_t> index;
    std::vector<int> delimiters;
    std::vector<bool> closed;
};

Boundaries index_boundaries(const std::vector<Multipart>& multiparts) {
    Boundaries b;
    b.delimiters.assign(multiparts.size(), 0);
    b.closed.assign(multiparts.size(), false);
    for (size_t i = 0; i < multiparts.size(); ++i) {
        if (!multiparts[i].boundary.empty())
            b.index.emplace(multiparts[i].boundary, i); // first one wins
    }
    return b;
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// A delimiter line is "--" boundary, optional "--", optional white space
// (RFC 2046 section 5.1.1); anything else on the line makes it text.
bool delimiter(std::string_view line, const std::vector<Multipart>& multiparts,
               Boundaries& b, Position& at) {
    if (line.size() < 3 || line[0] != '-' || line[1] != '-')
        return false;
    std::string_view rest = trim_right(line.substr(2));
    auto it = b.index.find(rest);
    bool close = false;
    if (it == b.index.end() && rest.size() > 2 &&
        rest.substr(rest.size() - 2) == "--") {
        it = b.index.find(rest.substr(0, rest.size() - 2));
        close = true;
    }
    if (it == b.index.end())
        return false;
    size_t i = it->second;
    if (close) {
        b.closed[i] = true;
        at.path = multiparts[i].path;
        at.in_header = false;
        return true;
    }
    at.path = fmt::format("{}.{}", multiparts[i].path, ++b.delimiters[i]);
    at.in_header = true;
    at.embedded = false;
    at.header_bytes = 0;
    return true;
}

// A header field starts with its name, printable ASCII up to a colon
// (RFC 5322 2.2; obsolete syntax lets blanks come before the colon); a
// line starting with a blank continues the field before it.
bool field_or_continuation(std::string_view line, bool opens_block) {
    if (line.front() == ' ' || line.front() == '\t')
        return !opens_block; // continues a field, when there is one
    size_t pos = 0;
    while (pos < line.size() && line[pos] > ' ' && line[pos] < 127 &&
           line[pos] != ':')
        ++pos;
    if (pos == 0)
        return false;
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
        ++pos;
    return pos < line.size() && line[pos] == ':';
}

void check_header_line(std::string_view line, const Limits& limits,
                       Position& at, Flagger& flags) {
    // A line in a header block that is neither a field nor part of one:
    // GMime skips it, or ends the block there and drops what follows,
    // while other readers show it as the start of the body. What one
    // reader shows, no rule may have read. (An mbox "From " line may
    // open an embedded message's block.)
    bool opens_block = at.header_bytes == 0;
    if (!field_or_continuation(line, opens_block) &&
        !(opens_block && starts_with_from_line(line)))
        flags.flag("HEADER_LINE_MALFORMED", at.path,
                   "a line that is neither a header field nor part of one");
    if (line.size() > limits.header_line_bytes)
        flags.flag("HEADER_LINE_TOO_LONG", at.path,
                   fmt::format("{} bytes, limit {}", line.size(),
                               limits.header_line_bytes));
    at.header_bytes += line.size() + 2;
    if (at.header_bytes > limits.header_block_bytes)
        flags.flag("HEADER_BLOCK_TOO_LARGE", at.path,
                   fmt::format("limit {}", limits.header_block_bytes));
}

// Multiparts in which GMime found no part: their body lines are watched,
// as a body that is more than blank lines held something no rule saw.
class EmptyMultiparts {
public:
    EmptyMultiparts(const std::vector<Multipart>& multiparts,
                    const Tree& tree) {
        std::unordered_set<std::string_view> parents;
        for (const Part& part : tree.parts) {
            size_t dot = part.path.rfind('.');
            if (part.origin == Origin::mime && dot != std::string::npos)
                parents.insert(std::string_view(part.path).substr(0, dot));
        }
        for (const Multipart& m : multiparts) {
            if (!parents.count(m.path))
                paths_.push_back({m.path, false});
        }
    }

    bool empty() const { return paths_.empty(); }

    // Notes a body line of the part at path, or of a part inside it.
    void body_line(std::string_view line, const std::string& path) {
        if (line.find_first_not_of(" \t") == std::string_view::npos)
            return;
        for (auto& [multipart, filled] : paths_) {
            filled = filled || path == multipart ||
                     (path.size() > multipart.size() &&
                      path.compare(0, multipart.size(), multipart) == 0 &&
                      path[multipart.size()] == '.');
        }
    }

    void flag(Flagger& flags) const {
        for (const auto& [multipart, filled] : paths_) {
            if (filled)
                flags.flag("MIME_MULTIPART_NO_PARTS", multipart,
                           "a body, and no delimiter line of its boundary");
        }
    }

private:
    std::vector<std::pair<std::string, bool>> paths_;
};

} // namespace

void scan_raw(std::string_view message, std::string_view original,
              const std::vector<Multipart>& multiparts, const Limits& limits,
              Tree& tree, const ScanRoot& root) {
    Flagger flags(tree);
    Boundaries b = index_boundaries(multiparts);
    EmptyMultiparts empty(multiparts, tree);
    size_t first_lf = message.find('\n');
    bool crlf = first_lf != std::string_view::npos && first_lf > 0 &&
                message[first_lf - 1] == '\r';
    // Most messages hold no NUL: one scan of the whole spares one per line.
    bool has_nul = std::memchr(message.data(), '\0', message.size());
    Position at;
    at.path = root.header_path;
    // Attached messages sent as they are: the header block of the part
    // is followed by the message's own, which is checked the same way.
    // (One sent encoded is read, and scanned, from its decoded bytes.)
    std::unordered_set<std::string> messages;
    for (const Part& part : tree.parts)
        if (part.is_message && part.origin == Origin::mime &&
            !is_encoded(part.transfer_encoding))
            messages.insert(part.path);

    for (size_t pos = 0; pos < message.size();) {
        const char* base = message.data() + pos;
        const void* lf = std::memchr(base, '\n', message.size() - pos);
        size_t length =
            lf ? static_cast<const char*>(lf) - base : message.size() - pos;
        std::string_view line(base, length);
        pos += length + 1;
        bool has_cr = !line.empty() && line.back() == '\r';
        if (has_cr)
            line.remove_suffix(1);
        // The line ends where the sender wrote a bare CR, which the
        // views read as a line end (mail/line_ends.hpp).
        bool ends_in_bare_cr = lf && original[pos - 1] == '\r';

        if (has_nul && std::memchr(line.data(), '\0', line.size()))
            flags.flag("NUL_BYTES", at.path);
        if (ends_in_bare_cr)
            flags.flag("BARE_CR", at.path);
        else if (crlf && lf && !has_cr)
            flags.flag("BARE_LF", at.path);

        bool top_header = at.in_header && at.top;
        if (!top_header && !b.index.empty() && line.size() > 2 &&
            line[0] == '-' && delimiter(line, multiparts, b, at))
            continue;
        if (!at.in_header) {
            if (!empty.empty())
                empty.body_line(line, at.path);
            continue;
        }
        if (line.empty()) {
            if (at.top)
                at.path = root.root_path;
            at.top = false;
            if (!at.embedded && messages.count(at.path)) {
                at.embedded = true;
                at.header_bytes = 0;
                continue;
            }
            at.in_header = false;
            at.embedded = false;
            continue;
        }
        check_header_line(line, limits, at, flags);
    }

    for (size_t i = 0; i < multiparts.size(); ++i) {
        if (!multiparts[i].boundary.empty() && !b.closed[i])
            flags.flag("MIME_MISSING_CLOSE_BOUNDARY", multiparts[i].path,
                       multiparts[i].boundary);
    }
    empty.flag(flags);
}

void check_boundary_prefixes(const std::vector<Multipart>& multiparts,
                             Tree& tree) {
    std::vector<const Multipart*> sorted;
    for (const Multipart& m : multiparts) {
        if (!m.boundary.empty())
            sorted.push_back(&m);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const Multipart* a, const Multipart* b) {
                  return a->boundary < b->boundary;
              });
    // Boundaries that start with B sort right after B.
    for (size_t i = 0; i + 1 < sorted.size(); ++i) {
        const std::string& shorter = sorted[i]->boundary;
        const std::string& longer = sorted[i + 1]->boundary;
        if (longer.compare(0, shorter.size(), shorter) != 0)
            continue;
        Part* part = nullptr;
        for (Part& p : tree.parts) {
            if (p.path == sorted[i + 1]->path && p.origin == Origin::mime)
                part = &p;
        }
        add_anomaly(tree, part, "MIME_BOUNDARY_PREFIX_CLASH",
                    fmt::format("\"{}\" starts \"{}\"", shorter, longer));
    }
}

} // namespace portcullis::mime::detail
