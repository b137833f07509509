// Compiling and matching rules. Patterns that read the same text are
// compiled into RE2::Sets, so a message is read once per text and set
// however many rules there are, and RE2 keeps every match linear in time.
// A set holds patterns up to a memory budget: a rule file of thousands
// of rules becomes several sets, never one that cannot be built.
#include "spam_score_meta.hpp"
#include "spam_score_rules.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::spam_score {

// Rules that read one text, split into sets that each fit the budget.
struct RuleSet::Group {
    RuleKind kind;
    std::string selector;
    std::vector<int> ids; ///< every rule of the group
    std::vector<std::unique_ptr<Chunk>> chunks;
    std::vector<char> absent_fires; ///< by ids: fires on an absent header
};

// One RE2::Set and the rules its match indexes stand for.
struct RuleSet::Chunk {
    std::unique_ptr<RE2::Set> set;
    std::vector<int> ids;
    std::vector<std::string> patterns;
};

namespace {

// A set's program takes at most this share of its memory budget; the
// rest is left to the DFA's cache of states, which a big program fills
// faster and which RE2 needs to run a set at all.
constexpr size_t program_share = 8;
constexpr size_t bytes_per_instruction = 16;

// Program sizes, in RE2 instructions, that keep set DFAs small; measured
// on the training corpus with the default rules and 500 more.
constexpr size_t heavy_instructions = 250;
constexpr size_t light_set_instructions = 4000;
constexpr size_t heavy_set_instructions = 2000;

RE2::Options rule_options(size_t max_mem_bytes) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(static_cast<int64_t>(max_mem_bytes));
    return options;
}

bool is_sub_rule(const std::string& name) {
    return name.rfind("__", 0) == 0;
}

} // namespace

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

RuleSet::Group& RuleSet::group_for(RuleKind kind, const std::string& selector) {
    for (auto& group : groups_)
        if (group->kind == kind && group->selector == selector)
            return *group;
    auto group = std::make_unique<Group>();
    group->kind = kind;
    group->selector = selector;
    groups_.push_back(std::move(group));
    return *groups_.back();
}

int RuleSet::id_of(const std::string& name) const {
    auto it = ids_.find(name);
    return it == ids_.end() ? -1 : it->second;
}

// Numbers every rule in name order, so a list of fired ids sorted by
// number is sorted by name, and matching needs no string comparison.
void RuleSet::number_rules() {
    ids_.clear();
    table_.clear();
    for (const auto& [name, r] : rules_) {
        ids_[name] = static_cast<int>(table_.size());
        double score = score_of(r);
        table_.push_back({&r, score, !is_sub_rule(name) && score != 0});
    }
}

void RuleSet::drop(int id, const std::string& why) {
    const Rule& r = *table_[static_cast<size_t>(id)].rule;
    problems_.push_back({r.where, fmt::format("{}: {}", r.name, why)});
    dropped_.insert(id);
}

// Builds one set from patterns; when it does not fit the budget, builds
// two from its halves, down to a single pattern, which is then reported.
void RuleSet::build_chunks(Group& group, std::vector<int> ids,
                           std::vector<std::string> patterns) {
    if (ids.empty())
        return;
    auto chunk = std::make_unique<Chunk>();
    chunk->set =
        std::make_unique<RE2::Set>(rule_options(set_memory_), RE2::UNANCHORED);
    for (size_t i = 0; i < patterns.size(); ++i) {
        std::string error;
        if (chunk->set->Add(patterns[i], &error) >= 0)
            continue;
        drop(ids[i], error);
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
        patterns.erase(patterns.begin() + static_cast<std::ptrdiff_t>(i));
        build_chunks(group, std::move(ids), std::move(patterns));
        return;
    }
    if (chunk->set->Compile()) {
        chunk->ids = std::move(ids);
        chunk->patterns = std::move(patterns);
        group.chunks.push_back(std::move(chunk));
        return;
    }
    if (ids.size() == 1) {
        drop(ids[0], fmt::format("needs more than the rule set memory of "
                                 "{} MiB",
                                 set_memory_ >> 20));
        return;
    }
    size_t half = ids.size() / 2;
    build_chunks(
        group, std::vector<int>(ids.begin(), ids.begin() + half),
        std::vector<std::string>(patterns.begin(), patterns.begin() + half));
    build_chunks(
        group, std::vector<int>(ids.begin() + half, ids.end()),
        std::vector<std::string>(patterns.begin() + half, patterns.end()));
}

// Cuts a group's patterns into sets. The DFA of a set tracks every
// pattern at once, so a pattern with long counted or open repeats
// (".{1,200}", "[^.]{0,30}") multiplies the states of all the others:
// such heavy patterns get sets of their own, and light ones share sets
// of a few thousand instructions, which stay small enough to be fast.
void RuleSet::compile_group(Group& group,
                            const std::vector<std::pair<int, int>>& sizes) {
    size_t memory_cap = set_memory_ / program_share / bytes_per_instruction;
    struct Run {
        size_t budget;
        std::vector<int> ids;
        std::vector<std::string> patterns;
        size_t used = 0;
    };
    Run light{std::min(light_set_instructions, memory_cap)};
    Run heavy{std::min(heavy_set_instructions, memory_cap)};
    for (const auto& [id, size] : sizes) {
        auto instructions = static_cast<size_t>(size);
        Run& run = instructions > heavy_instructions ? heavy : light;
        if (!run.ids.empty() && run.used + instructions > run.budget) {
            build_chunks(group, std::move(run.ids), std::move(run.patterns));
            run.ids.clear();
            run.patterns.clear();
            run.used = 0;
        }
        run.ids.push_back(id);
        run.patterns.push_back(table_[static_cast<size_t>(id)].rule->pattern);
        run.used += instructions;
    }
    build_chunks(group, std::move(light.ids), std::move(light.patterns));
    build_chunks(group, std::move(heavy.ids), std::move(heavy.patterns));
}

// A header rule on an absent header sees the empty text, or the
// [if-unset] value; neither depends on the message, so it is settled
// here once.
void RuleSet::settle_absent(Group& group) {
    std::vector<char> fired(table_.size(), 0);
    std::vector<int> matched;
    match_text(group, "", fired, matched);
    group.absent_fires.clear();
    for (int id : group.ids) {
        const Rule& r = *table_[static_cast<size_t>(id)].rule;
        bool hit = fired[static_cast<size_t>(id)] != 0;
        if (r.if_unset)
            hit = RE2::PartialMatch(*r.if_unset,
                                    RE2(r.pattern, rule_options(set_memory_)));
        group.absent_fires.push_back(hit != r.negate);
    }
}

void RuleSet::compile(size_t set_memory_bytes) {
    report_unknown_directives();
    set_memory_ = set_memory_bytes;
    number_rules();
    std::vector<std::string> kept;
    std::map<Group*, std::vector<std::pair<int, int>>> sizes;
    for (const std::string& name : order_) {
        Rule& r = rules_[name];
        int id = id_of(name);
        if (r.kind == RuleKind::meta) {
            auto parsed = MetaExpression::parse(r.expression);
            if (!parsed) {
                problems_.push_back(
                    {r.where,
                     fmt::format("{}: {}", name, parsed.error().message)});
                continue;
            }
            (*parsed)->bind([&](const std::string& used) {
                return is_evaluated(used) ? id_of(used) : -1;
            });
            metas_[id] = std::move(*parsed);
            meta_order_.push_back(id);
            kept.push_back(name);
            continue;
        }
        if (r.kind == RuleKind::header)
            selectors_.insert(r.selector);
        if (r.exists) {
            exists_.push_back(id);
            kept.push_back(name);
            continue;
        }
        RE2 check(r.pattern, rule_options(set_memory_));
        if (!check.ok()) {
            problems_.push_back(
                {r.where, fmt::format("{}: RE2 cannot run this pattern: {}",
                                      name, check.error())});
            continue;
        }
        Group& group = group_for(r.kind, r.selector);
        group.ids.push_back(id);
        sizes[&group].push_back({id, check.ProgramSize()});
        kept.push_back(name);
    }
    for (auto& group : groups_)
        compile_group(*group, sizes[group.get()]);
    if (!dropped_.empty())
        drop_unbuilt(kept);
    order_ = std::move(kept);
    for (auto& group : groups_)
        if (group->kind == RuleKind::header)
            settle_absent(*group);
    drop_meta_cycles();
    check_meta_names();
}

// A meta rule that depends on itself, directly or through others, has
// no meaning: its value would depend on the order rules are read in.
// Each rule on such a loop is reported, as SpamAssassin does, and never
// fires. The others are put in an order where each comes after every
// meta rule it uses, so matching evaluates each once, without
// recursion, however long a chain is. The walk keeps its own stack.
void RuleSet::drop_meta_cycles() {
    enum : char { unseen, open, closed };
    std::vector<char> state(table_.size(), unseen);
    std::set<int> looped;
    std::vector<int> sorted;
    for (int start : meta_order_) {
        if (state[static_cast<size_t>(start)] != unseen)
            continue;
        // Each frame: a meta rule and how many of its names were followed.
        std::vector<std::pair<int, size_t>> path{{start, 0}};
        state[static_cast<size_t>(start)] = open;
        while (!path.empty()) {
            auto& [id, next] = path.back();
            const auto& uses = metas_[id]->ids();
            if (next == uses.size()) {
                state[static_cast<size_t>(id)] = closed;
                sorted.push_back(id);
                path.pop_back();
                continue;
            }
            int used = uses[next++];
            if (used < 0 || !metas_.count(used))
                continue;
            char& seen = state[static_cast<size_t>(used)];
            if (seen == open) {
                for (auto it = path.rbegin(); it != path.rend(); ++it) {
                    looped.insert(it->first);
                    if (it->first == used)
                        break;
                }
            } else if (seen == unseen) {
                seen = open;
                path.push_back({used, 0});
            }
        }
    }
    for (int id : looped) {
        const Rule& r = *table_[static_cast<size_t>(id)].rule;
        problems_.push_back(
            {r.where,
             fmt::format("{}: meta rule depends on itself; skipped", r.name)});
        metas_.erase(id);
        dropped_.insert(id);
    }
    std::erase_if(sorted, [&](int id) { return looped.count(id) > 0; });
    meta_order_ = std::move(sorted);
    std::erase_if(order_, [&](const std::string& name) {
        return looped.count(id_of(name)) > 0;
    });
}

// Rules whose pattern fit no set are reported and skipped like any
// other rule that cannot run.
void RuleSet::drop_unbuilt(std::vector<std::string>& kept) {
    auto dropped = [&](int id) { return dropped_.count(id) > 0; };
    for (auto& group : groups_)
        std::erase_if(group->ids, dropped);
    std::erase_if(
        kept, [&](const std::string& name) { return dropped(id_of(name)); });
}

void RuleSet::check_meta_names() {
    for (int meta : meta_order_) {
        const Rule& r = *table_[static_cast<size_t>(meta)].rule;
        for (const std::string& used : metas_[meta]->names())
            if (!rules_.count(used) ||
                (rules_[used].kind == RuleKind::builtin &&
                 !builtins_.count(used)))
                problems_.push_back(
                    {r.where,
                     fmt::format("{}: unknown rule {} counts as not fired",
                                 r.name, used)});
    }
}

// Only these names can ever fire; any other name in a meta expression
// reads as 0, whatever it names.
bool RuleSet::is_evaluated(const std::string& name) const {
    return rules_.count(name) > 0;
}

void RuleSet::match_chunk(const Chunk& chunk, std::string_view text,
                          std::vector<char>& fired,
                          std::vector<int>& matched) const {
    RE2::Set::ErrorInfo error{};
    if (chunk.set->Match(text, &matched, &error)) {
        for (int i : matched)
            fired[static_cast<size_t>(chunk.ids[static_cast<size_t>(i)])] = 1;
        return;
    }
    if (error.kind == RE2::Set::kNoError)
        return;
    // The set's DFA ran out of memory on this text: each pattern on its
    // own falls back to RE2's NFA, slower but never wrong.
    for (size_t i = 0; i < chunk.ids.size(); ++i)
        if (RE2::PartialMatch(
                text, RE2(chunk.patterns[i], rule_options(set_memory_))))
            fired[static_cast<size_t>(chunk.ids[i])] = 1;
}

void RuleSet::match_text(const Group& group, std::string_view text,
                         std::vector<char>& fired,
                         std::vector<int>& matched) const {
    for (const auto& chunk : group.chunks)
        match_chunk(*chunk, text, fired, matched);
}

void RuleSet::match_groups(const MessageView& message,
                           std::vector<char>& hits) const {
    std::vector<char> fired(table_.size(), 0);
    std::vector<int> matched; // reused by every set, as RE2 clears it
    for (const auto& group : groups_) {
        switch (group->kind) {
        case RuleKind::body:
            match_text(*group, message.body, fired, matched);
            break;
        case RuleKind::rawbody:
            match_text(*group, message.rawbody, fired, matched);
            break;
        case RuleKind::full:
            match_text(*group, message.full, fired, matched);
            break;
        case RuleKind::uri:
            for (const std::string& u : message.uris)
                match_text(*group, u, fired, matched);
            break;
        case RuleKind::header: {
            auto it = message.headers.find(group->selector);
            if (it != message.headers.end()) {
                match_text(*group, it->second, fired, matched);
                break;
            }
            for (size_t i = 0; i < group->ids.size(); ++i)
                if (group->absent_fires[i])
                    hits[static_cast<size_t>(group->ids[i])] = 1;
            continue;
        }
        default:
            break;
        }
        for (int id : group->ids) {
            auto index = static_cast<size_t>(id);
            if ((fired[index] != 0) != table_[index].rule->negate)
                hits[index] = 1;
        }
    }
}

// Meta rules may read other meta rules in any order; each is evaluated
// once, a cycle reads as not fired, and nesting stops at 50 levels.
void RuleSet::evaluate_metas(std::vector<char>& hits) const {
    for (int id : meta_order_) {
        double value = metas_.at(id)->evaluate([&](int used) {
            return used >= 0 && hits[static_cast<size_t>(used)] ? 1.0 : 0.0;
        });
        if (value != 0)
            hits[static_cast<size_t>(id)] = 1;
    }
}

std::vector<Hit>
RuleSet::match(const MessageView& message,
               const std::set<std::string>& builtin_hits) const {
    std::vector<char> hits(table_.size(), 0);
    for (const std::string& name : builtin_hits)
        if (int id = id_of(name); id >= 0)
            hits[static_cast<size_t>(id)] = 1;
    for (int id : exists_)
        if (message.headers.count(
                table_[static_cast<size_t>(id)].rule->selector))
            hits[static_cast<size_t>(id)] = 1;
    match_groups(message, hits);
    evaluate_metas(hits);

    // Ids are in name order: sorting by score alone, stably, puts rules
    // of equal score in name order.
    std::vector<Hit> out;
    for (size_t id = 0; id < hits.size(); ++id) {
        const Entry& entry = table_[id];
        if (hits[id] && entry.reported)
            out.push_back(
                {entry.rule->name, entry.score, entry.rule->description});
    }
    std::stable_sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
        return a.score > b.score;
    });
    return out;
}

} // namespace portcullis::spam_score
