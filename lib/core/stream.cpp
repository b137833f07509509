// Reading and writing stream records. A truncated or garbled record is an
// error naming where it is: guessing at record boundaries would let one bad
// producer splice messages together.
#include "core/stream.hpp"

#include "core/json_parse.hpp"
#include "core/strings.hpp"

#include <fmt/format.h>

namespace portcullis::stream {

using nlohmann::ordered_json;

std::string Record::id() const {
    auto it = envelope.find("id");
    if (it != envelope.end() && it->is_string())
        return it->get<std::string>();
    return "-";
}

std::string path_id(std::string_view path) {
    // A file name is bytes, but an id is a JSON string: bytes that are
    // not UTF-8 used to become U+FFFD, so "m\xff" and "m\xfe" shared an
    // id. Doubling backslashes keeps a name that spells "\xff" apart
    // from one holding that byte; a UTF-8 name without a backslash keeps
    // its id.
    std::string out;
    out.reserve(path.size());
    for (size_t i = 0; i < path.size();) {
        Utf8Char c = utf8_at(path, i);
        if (c.length == 0) {
            out +=
                fmt::format("\\x{:02x}", static_cast<unsigned char>(path[i]));
            ++i;
            continue;
        }
        if (path[i] == '\\')
            out += '\\';
        out.append(path.substr(i, c.length));
        i += c.length;
    }
    return out;
}

ordered_json make_envelope(std::string_view id, std::string_view source) {
    ordered_json envelope = ordered_json::object();
    envelope["portcullis"] = format_version;
    envelope["size"] = 0;
    if (!id.empty())
        envelope["id"] = id;
    if (!source.empty())
        envelope["source"] = source;
    envelope["verdicts"] = ordered_json::array();
    return envelope;
}

Result<bool> starts_stream(ByteReader& input) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    auto first = input.peek_bytes(bom.size() + 1);
    if (!first)
        return first.error();
    if (first->starts_with('{'))
        return true;
    if (*first != std::string(bom) + "{")
        return false;
    if (Status skipped = input.skip_exact(bom.size()); !skipped)
        return skipped.error();
    return true;
}

bool nesting_exceeds(std::string_view json, int max_depth) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{')
            ++depth;
        else if (c == ']' || c == '}')
            --depth;
        if (depth > max_depth)
            return true;
    }
    return false;
}

Result<ordered_json> parse_envelope(std::string_view line) {
    // The JSON parser recurses once per level: a deep envelope well under
    // the line limit would otherwise overflow the stack.
    if (nesting_exceeds(line, max_envelope_depth))
        return Error{"", fmt::format("envelope nested deeper than {} levels",
                                     max_envelope_depth)};
    std::string problem;
    ordered_json envelope = parse_json(line, &problem);
    if (envelope.is_discarded())
        return Error{"", "envelope " + problem};
    if (!envelope.is_object())
        return Error{"", "envelope is not a JSON object"};
    auto version = envelope.find("portcullis");
    if (version == envelope.end())
        return Error{"", "envelope lacks \"portcullis\""};
    if (!version->is_number_integer() || *version != format_version)
        return Error{
            "", fmt::format("unsupported format version {}", version->dump())};
    auto size = envelope.find("size");
    if (size == envelope.end())
        return Error{"", "envelope lacks \"size\""};
    if (!size->is_number_unsigned() &&
        !(size->is_number_integer() && size->get<int64_t>() >= 0))
        return Error{"", "\"size\" is not a non-negative integer"};
    auto verdicts = envelope.find("verdicts");
    if (verdicts != envelope.end() && !verdicts->is_array())
        return Error{"", "\"verdicts\" is not a list"};
    return envelope;
}

namespace {

// Returns an error when the field is present and is not of the type.
Status expect_type(const ordered_json& object, const std::string& path,
                   const char* key, ordered_json::value_t type,
                   const char* type_name) {
    auto field = object.find(key);
    if (field == object.end() || field->type() == type)
        return {};
    return Error{"", fmt::format("\"{}{}\" is not {}", path, key, type_name)};
}

Status check_recipients(const ordered_json& envelope) {
    auto rcpt = envelope.find("rcpt");
    if (rcpt == envelope.end())
        return {};
    if (!rcpt->is_array())
        return Error{"", "\"rcpt\" is not a list"};
    for (size_t i = 0; i < rcpt->size(); ++i) {
        if (!(*rcpt)[i].is_string())
            return Error{"", fmt::format("\"rcpt[{}]\" is not a string", i)};
    }
    return {};
}

} // namespace

Status check_fields(const ordered_json& envelope) {
    using type = ordered_json::value_t;
    for (const char* key : {"id", "source", "received", "mail_from"}) {
        if (Status s = expect_type(envelope, "", key, type::string, "a string");
            !s)
            return s;
    }
    if (Status s =
            expect_type(envelope, "", "client", type::object, "an object");
        !s)
        return s;
    if (auto client = envelope.find("client"); client != envelope.end()) {
        for (const char* key : {"ip", "helo", "rdns"}) {
            if (Status s = expect_type(*client, "client.", key, type::string,
                                       "a string");
                !s)
                return s;
        }
        if (Status s = expect_type(*client, "client.", "port",
                                   type::number_unsigned, "a whole number");
            !s)
            return s;
    }
    if (Status s = check_recipients(envelope); !s)
        return s;
    return check_verdicts(envelope);
}

Status Reader::copy_unread(const std::function<void(std::string_view)>& sink) {
    constexpr size_t piece_bytes = 256 * 1024;
    std::string piece;
    while (unread_ > 0) {
        size_t n =
            static_cast<size_t>(std::min<uint64_t>(unread_, piece_bytes));
        piece.clear();
        auto read = input_.read_exact(piece, n);
        if (!read) {
            unread_ = 0;
            if (read.error().exit_code != ExitCode::data_error)
                return read.error();
            // Named as next() names a record cut short, with the record's
            // size, not the piece's.
            const Unread& r = unread_record_;
            return Error{
                fmt::format("{}: record {} at offset {}", input_.name(),
                            record_number_, r.record_offset),
                fmt::format("truncated: expected {} bytes, got {}", r.size,
                            input_.offset() - r.message_offset)};
        }
        unread_ -= n;
        sink(piece);
    }
    return {};
}

bool Reader::unread_present() const {
    auto left = input_.bytes_left();
    return left && *left >= unread_;
}

Result<std::optional<Record>> Reader::next() {
    if (unread_ > 0) {
        if (Status skipped = copy_unread([](std::string_view) {}); !skipped)
            return skipped.error();
    }
    auto peeked = input_.peek();
    if (!peeked)
        return peeked.error();
    if (*peeked == -1)
        return std::optional<Record>{};
    ++record_number_;
    uint64_t offset = input_.offset();
    auto where = [&](std::string_view message) {
        return Error{fmt::format("{}: record {} at offset {}", input_.name(),
                                 record_number_, offset),
                     std::string(message)};
    };

    std::string line;
    auto got = input_.read_line(line, limits_.envelope_line_bytes);
    if (!got)
        return where(got.error().message);
    if (line.empty() || line.back() != '\n')
        return where("truncated envelope: no line end");
    line.pop_back();
    auto envelope = parse_envelope(line);
    if (!envelope)
        return where(envelope.error().message);

    Record record;
    record.envelope = std::move(*envelope);
    // The size frames the record, so its bytes are still read and passed
    // on; only the envelope is not believed.
    if (Status fields = check_fields(record.envelope); !fields)
        record.bad_envelope = where(fields.error().message);
    uint64_t size = record.envelope["size"].get<uint64_t>();
    // Too big to hold: the record still goes on, its bytes unread.
    if (size > limits_.message_bytes) {
        record.unread = unread_ = size;
        unread_record_ = {size, offset, input_.offset()};
        return std::optional<Record>{std::move(record)};
    }
    record.message.reserve(size);
    auto read = input_.read_exact(record.message, size);
    if (!read) {
        // The envelope was read: its id names the message in the mail
        // logs, beside the place that finds it in the stream.
        Error cut = where(read.error().message);
        auto id = record.envelope.find("id");
        if (id != record.envelope.end() && id->is_string())
            cut.context += fmt::format(" (id {})", id->get<std::string>());
        return cut;
    }
    return std::optional<Record>{std::move(record)};
}

std::string serialize(Record& record) {
    record.envelope["size"] = record.message.size();
    std::string out = record.envelope.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.reserve(out.size() + 1 + record.message.size());
    out.push_back('\n');
    out += record.message;
    return out;
}

void append_verdict(Record& record, ordered_json verdict) {
    auto& verdicts = record.envelope["verdicts"];
    if (!verdicts.is_array())
        verdicts = ordered_json::array();
    verdicts.push_back(std::move(verdict));
}

} // namespace portcullis::stream
