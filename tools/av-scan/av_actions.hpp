// What av-scan does to a message after the scan: clean replaces the
// affected parts in the raw bytes, quarantine files the whole message
// away with its verdict. Both keep every byte they do not have to touch.
#pragma once

#include "core/result.hpp"
#include "mail/lenient_mime.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::av {

/// One part to take out of a message, and why.
struct Removal {
    size_t lenient_index = 0; ///< into the lenient tree's parts
    std::string reason;       ///< "infected: Eicar-Test-Signature"
};

/// Returns the message with each removed part replaced by a short text
/// part naming it and the reason, in the message's own line endings;
/// every other byte stays as it was. Fails when a part cannot be located
/// in the raw bytes or two removals overlap.
Result<std::string> clean_message(std::string_view message,
                                  const mime::lenient::Tree& tree,
                                  const std::vector<Removal>& removals);

/// Returns id reduced to a safe file name: letters, digits, '.', '-'
/// and '_' only, no leading dot or dash, at most 80 characters.
std::string sanitise_id(std::string_view id);

/// Checks, before any message is read, that DIR/quarantine can be made
/// and written to: a message to hold must never find out first.
Status check_quarantine(const std::string& state_dir);

/// Writes the message and a JSON file holding its envelope and verdict
/// to DIR/quarantine/YYYY-MM-DD/, both or neither; returns the .eml path.
Result<std::string> quarantine(const std::string& state_dir,
                               std::string_view id, std::string_view message,
                               const nlohmann::ordered_json& record);

} // namespace portcullis::av
