// What a learned message is known by: the message as its sender wrote
// it, so the copy a user reports from the mailbox (with trace fields,
// our tags and another transfer encoding) is the copy the gateway
// learned, and learning it again counts once or moves it.
#pragma once

#include "spam_score_analysis.hpp"

#include <string>
#include <string_view>

namespace portcullis::spam_score {

/// Returns subject without the subject tag spam-score puts in front of
/// it (white space around the tag is not compared); unchanged when it
/// does not start with the tag, or the tag is empty.
std::string without_subject_tag(std::string_view subject, std::string_view tag);

/// Returns the SHA-256, as hex, of what the sender wrote: the originator,
/// destination and identification fields and the Subject (decoded, white
/// space squeezed, without tag), in any order, and every MIME leaf by
/// its type, name and decoded content, text in UTF-8 with line ends and
/// trailing blanks made uniform. Trace, delivery and scanner fields are
/// no part of it.
std::string message_identity(const Analysis& analysis, std::string_view tag);

} // namespace portcullis::spam_score
