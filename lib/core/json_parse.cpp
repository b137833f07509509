// A SAX handler that builds the document itself: each open object keeps
// a hash index of its keys, so adding a key costs the same however many
// came before it. Building is iterative, never recursive, whatever the
// nesting.
#include "core/json_parse.hpp"

#include <unordered_map>
#include <vector>

namespace portcullis {

namespace {

using json = nlohmann::ordered_json;

class LinearBuilder {
public:
    bool null() { return put(nullptr); }
    bool boolean(bool value) { return put(value); }
    bool number_integer(json::number_integer_t value) { return put(value); }
    bool number_unsigned(json::number_unsigned_t value) { return put(value); }
    bool number_float(json::number_float_t value, const json::string_t&) {
        return put(value);
    }
    bool string(json::string_t& value) { return put(std::move(value)); }
    bool binary(json::binary_t& value) {
        return put(json::binary(std::move(value)));
    }
    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t& name);

    template <class Exception>
    bool parse_error(std::size_t, const std::string&, const Exception&) {
        return false;
    }

    json take() { return std::move(root_); }
    bool repeated_key() const { return repeated_key_; }

private:
    // An open object or list, and for an object the index of its keys
    // and the place of the value its last key is waiting for.
    struct Frame {
        json* value;
        std::unordered_map<std::string, size_t> keys;
        json* slot = nullptr;
    };

    json* place(json value);
    bool put(json value) {
        place(std::move(value));
        return true;
    }
    bool open(json value) {
        frames_.push_back(Frame{place(std::move(value)), {}});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return true;
    }

    json root_;
    std::vector<Frame> frames_;
    bool repeated_key_ = false;
};

// ordered_map is a std::vector of pairs: appending to it directly skips
// its own look-up, which the index has done.
bool LinearBuilder::key(json::string_t& name) {
    Frame& frame = frames_.back();
    auto& members = frame.value->get_ref<json::object_t&>();
    auto [found, added] = frame.keys.try_emplace(name, members.size());
    if (!added) {
        repeated_key_ = true;
        return false;
    }
    members.emplace_back(std::move(name), nullptr);
    frame.slot =
        &members.begin()[static_cast<std::ptrdiff_t>(found->second)].second;
    return true;
}

// A parent's storage never moves while a child is open: only the
// innermost open value grows.
json* LinearBuilder::place(json value) {
    if (frames_.empty()) {
        root_ = std::move(value);
        return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.value->is_array()) {
        auto& items = frame.value->get_ref<json::array_t&>();
        items.push_back(std::move(value));
        return &items.back();
    }
    *frame.slot = std::move(value);
    return frame.slot;
}

} // namespace

nlohmann::ordered_json parse_json(std::string_view text, std::string* problem) {
    LinearBuilder builder;
    if (!json::sax_parse(text.begin(), text.end(), &builder)) {
        if (problem)
            *problem = builder.repeated_key()
                           ? "gives a key twice in one object"
                           : "is not valid JSON";
        return json(json::value_t::discarded);
    }
    return builder.take();
}

} // namespace portcullis
