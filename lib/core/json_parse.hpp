// JSON text read in time linear in its length. nlohmann's own parser
// adds each key of an object by looking it up among the keys before it
// (an ordered_json object is a vector), so an envelope object of n keys
// took n^2/2 string comparisons: seconds for one line at the line limit.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace portcullis {

/// Returns the JSON value text holds, or a discarded value when text is
/// not one JSON value. Keys keep their order; a key given twice keeps its
/// first place and its last value, as nlohmann's parser keeps it.
nlohmann::ordered_json parse_json(std::string_view text);

} // namespace portcullis
