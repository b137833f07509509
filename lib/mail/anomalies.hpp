// The anomalies the strict MIME reading raises, each with what it means
// for whoever judges the message: worth a note, read one way by some mail
// readers and another way by others, or not read in full. mime-split
// holds the last two kinds, and so does the default policy.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace portcullis::mime {

/// What an anomaly says about the reading of the message.
enum class AnomalyKind {
    notice,    ///< the message was read whole, and one way
    ambiguous, ///< mail readers disagree on what the message holds
    unread,    ///< part of the message was not read, so no rule saw it
};

/// One anomaly id and its kind.
struct AnomalyInfo {
    std::string_view id;
    AnomalyKind kind;
};

/// Returns every anomaly id that mime::parse() raises.
std::span<const AnomalyInfo> known_anomalies();

/// Returns an anomaly id's kind; nullopt for an id parse() never raises.
std::optional<AnomalyKind> anomaly_kind(std::string_view id);

} // namespace portcullis::mime
