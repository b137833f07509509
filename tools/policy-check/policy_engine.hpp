// Deciding whether a rule fires for one recipient of one message, and
// saying why in words an administrator can act on.
#pragma once

#include "policy_message.hpp"
#include "policy_rules.hpp"
#include "policy_words.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace portcullis::policy {

/// Word lists by name, loaded once from a folder.
class WordLists {
public:
    /// Loads every list the rules name that is not loaded yet.
    Status load_for(const Policy& policy, const std::string& fallback_dir);

    /// Returns a loaded list, or nullptr.
    const WordList* find(const std::string& name) const;

private:
    std::map<std::string, WordList> lists_;
};

/// What a rule is judged against besides the message.
struct Context {
    std::string rcpt;
    Direction direction = Direction::inbound;
    const WordLists* lists = nullptr;
    /// Returns the hit count a list needs, after the levels had a say.
    std::function<double(const WordsCondition&)> threshold;
};

/// One attachment a rule matched, for the strip action.
struct Matched {
    std::string why;
    std::vector<std::string> parts; ///< MIME paths of matched attachments
};

/// Returns why the rule fires, or nullopt when it does not.
std::optional<Matched> evaluate(const Rule& rule, MessageFacts& message,
                                const Context& context);

} // namespace portcullis::policy
