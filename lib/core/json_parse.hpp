// JSON text read in time linear in its length. nlohmann's own parser
// adds each key of an object by looking it up among the keys before it
// (an ordered_json object is a vector), so an envelope object of n keys
// took n^2/2 string comparisons: seconds for one line at the line limit.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace portcullis {

/// Returns the JSON value text holds, or a discarded value when text is
/// not one JSON value or an object in it gives a key twice; then, when
/// problem is given, it says which ("is not valid JSON", "gives a key
/// twice in one object"). Keys keep their order.
/// RFC 8259 leaves a repeated key's meaning to each reader: one takes the
/// first value, another the last, so a record could say one thing to a
/// filter and another to whatever reads it next ("size", "action").
nlohmann::ordered_json parse_json(std::string_view text,
                                  std::string* problem = nullptr);

/// Adds a key that object does not hold yet. ordered_json's operator[]
/// looks the key up among all those before it, so an object of n keys
/// built with it costs n^2/2 comparisons; keys taken from a map are
/// known to be new.
inline void append_new_key(nlohmann::ordered_json& object, std::string key,
                           nlohmann::ordered_json value) {
    if (!object.is_object())
        object = nlohmann::ordered_json::object();
    object.get_ref<nlohmann::ordered_json::object_t&>().emplace_back(
        std::move(key), std::move(value));
}

} // namespace portcullis
