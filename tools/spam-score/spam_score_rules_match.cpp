// Compiling and matching rules. Patterns that read the same text are
// compiled into RE2::Sets, so a message is read once per text and set
// however many rules there are, in linear time. Each set and all of them
// together have memory budgets: thousands of rules become several sets,
// never one that cannot be built, nor more than the machine can hold.
#include "spam_score_meta.hpp"
#include "spam_score_rules.hpp"
#include "spam_score_rules_regex.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::spam_score {

// Rules that read one text, split into sets that each fit the budget.
struct RuleSet::Group {
    RuleKind kind;
    std::string selector; ///< body rules: "nosubject" skips the subject
    std::vector<int> ids; ///< every rule of the group
    std::vector<std::unique_ptr<Chunk>> chunks;
    std::vector<char> absent_fires; ///< by ids: fires on an absent header
};

// One RE2::Set and the rules its match indexes stand for.
struct RuleSet::Chunk {
    std::unique_ptr<RE2::Set> set;
    std::vector<int> ids;
    std::vector<std::string> patterns;
    size_t memory_bytes = 0; ///< the set's cap, and each fallback pattern's
};

// A rule with "tflags multiple": its own RE2, to count its matches as
// Perl's /g loop counts them, up to maxhits.
struct RuleSet::Counter {
    int id;
    std::unique_ptr<RE2> re;
    uint32_t max_hits;
};

// A set, or a counter when group is null, before it is built: the
// patterns it will hold and the memory it will be given.
struct RuleSet::Plan {
    Group* group = nullptr;
    std::vector<int> ids;
    std::vector<std::string> patterns;
    std::vector<size_t> sizes; ///< instructions of each pattern
    size_t instructions = 0;
    size_t floor = 0;
    size_t cap = 0;
    size_t first_read = 0; ///< where its first rule is in the files read
};

namespace {

// Program sizes, in RE2 instructions, that keep set DFAs small; measured
// on the training corpus with the default rules and 500 more.
constexpr size_t heavy_instructions = 250;
constexpr size_t light_set_instructions = 4000;
constexpr size_t heavy_set_instructions = 2000;

// The least memory a program of n instructions is given: its own 16
// bytes an instruction, and room for the DFA states RE2 asks for before
// it will run (20 of them, each a list of up to n instructions and a
// table of next states), with a margin.
constexpr size_t floor_bytes_per_instruction = 256;
constexpr size_t floor_bytes = size_t{256} << 10;

// The share of the total that any one set or counter may have, which is
// also kept back for the pattern match_chunk compiles on its own.
constexpr size_t largest_share = 8;

bool is_sub_rule(const std::string& name) {
    return name.rfind("__", 0) == 0;
}

// maxhits=N of a tflags line; 0 for none.
uint32_t max_hits_of(const std::string& tflags) {
    size_t at = tflags.find("maxhits=");
    if (at == std::string::npos)
        return 0;
    unsigned long n = std::strtoul(tflags.c_str() + at + 8, nullptr, 10);
    return static_cast<uint32_t>(std::min<unsigned long>(n, UINT32_MAX));
}

size_t floor_of(size_t instructions, size_t largest) {
    return std::min(
        largest,
        std::max(floor_bytes, instructions * floor_bytes_per_instruction));
}

// Counts the matches of re in text as Perl's while (/re/g) does: each
// search starts where the last match ended, one byte on after an empty
// one. Stops at limit, when there is one.
// XXX: after an empty match Perl first tries a longer one at the same
// place; a lazy pattern that can match empty (/x*?/) counts fewer here.
uint32_t count_matches(const RE2& re, std::string_view text, uint32_t limit,
                       uint32_t counted) {
    size_t pos = 0;
    re2::StringPiece whole(text.data(), text.size());
    re2::StringPiece match;
    while (pos <= text.size() && (limit == 0 || counted < limit)) {
        if (!re.Match(whole, pos, text.size(), RE2::UNANCHORED, &match, 1))
            break;
        ++counted;
        size_t end =
            static_cast<size_t>(match.data() - text.data()) + match.size();
        pos = match.empty() ? end + 1 : end;
    }
    return counted;
}

// Calls each with every paragraph of a body view, the "\n" ending it
// included; skips the first, the subject, when asked to.
template <typename Each>
void for_each_paragraph(std::string_view body, bool skip_subject, Each each) {
    size_t start = 0;
    bool first = true;
    while (start < body.size()) {
        size_t end = body.find('\n', start);
        end = end == std::string_view::npos ? body.size() : end + 1;
        if (!(first && skip_subject))
            each(body.substr(start, end - start));
        first = false;
        start = end;
    }
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
        table_.push_back(
            {&r, score_of(r), score_without_bayes_of(r), is_sub_rule(name)});
    }
}

void RuleSet::drop(int id, const std::string& why) {
    const Rule& r = *table_[static_cast<size_t>(id)].rule;
    problems_.push_back({r.where, fmt::format("{}: {}", r.name, why)});
    dropped_.insert(id);
}

// Builds one set from patterns in memory_bytes; when it cannot be
// built in that, builds two from its halves, each in half the memory,
// down to a single pattern, which is then reported.
void RuleSet::build_chunks(Group& group, std::vector<int> ids,
                           std::vector<std::string> patterns,
                           size_t memory_bytes) {
    if (ids.empty())
        return;
    auto chunk = std::make_unique<Chunk>();
    chunk->memory_bytes = memory_bytes;
    chunk->set =
        std::make_unique<RE2::Set>(rule_options(memory_bytes), RE2::UNANCHORED);
    for (size_t i = 0; i < patterns.size(); ++i) {
        std::string error;
        if (chunk->set->Add(patterns[i], &error) >= 0)
            continue;
        auto at = static_cast<std::ptrdiff_t>(i);
        drop(ids[i], error);
        ids.erase(ids.begin() + at);
        patterns.erase(patterns.begin() + at);
        build_chunks(group, std::move(ids), std::move(patterns), memory_bytes);
        return;
    }
    if (chunk->set->Compile()) {
        memory_used_ += memory_bytes;
        chunk->ids = std::move(ids);
        chunk->patterns = std::move(patterns);
        group.chunks.push_back(std::move(chunk));
        return;
    }
    if (ids.size() == 1) {
        drop(ids[0], memory_bytes >= set_memory_
                         ? fmt::format("needs more than the rule set memory "
                                       "of {} MiB",
                                       set_memory_ >> 20)
                         : fmt::format("needs more memory than is left of "
                                       "rules_memory_mib ({} MiB)",
                                       total_memory_ >> 20));
        return;
    }
    auto half = static_cast<std::ptrdiff_t>(ids.size() / 2);
    build_chunks(
        group, std::vector<int>(ids.begin(), ids.begin() + half),
        std::vector<std::string>(patterns.begin(), patterns.begin() + half),
        memory_bytes / 2);
    build_chunks(
        group, std::vector<int>(ids.begin() + half, ids.end()),
        std::vector<std::string>(patterns.begin() + half, patterns.end()),
        memory_bytes - memory_bytes / 2);
}

// Cuts a group's patterns into planned sets. The DFA of a set tracks
// every pattern at once, so a pattern with long counted or open repeats
// (".{1,200}", "[^.]{0,30}") multiplies the states of all the others:
// such heavy patterns get sets of their own, and light ones share sets
// of a few thousand instructions, which stay small enough to be fast.
void RuleSet::plan_group(Group& group,
                         const std::vector<std::pair<int, int>>& sizes,
                         std::vector<Plan>& plans) {
    size_t memory_cap = largest_set() / floor_bytes_per_instruction;
    Plan light{&group};
    Plan heavy{&group};
    auto flush = [&](Plan& run) {
        if (!run.ids.empty())
            plans.push_back(std::move(run));
        run = Plan{&group};
    };
    for (const auto& [id, size] : sizes) {
        auto instructions = static_cast<size_t>(size);
        bool is_heavy = instructions > heavy_instructions;
        Plan& run = is_heavy ? heavy : light;
        size_t budget =
            std::min(is_heavy ? heavy_set_instructions : light_set_instructions,
                     memory_cap);
        if (!run.ids.empty() && run.instructions + instructions > budget)
            flush(run);
        if (run.ids.empty())
            run.first_read = read_at_[static_cast<size_t>(id)];
        run.ids.push_back(id);
        run.patterns.push_back(table_[static_cast<size_t>(id)].rule->pattern);
        run.sizes.push_back(instructions);
        run.instructions += instructions;
    }
    flush(light);
    flush(heavy);
}

// Rules with "tflags multiple" count every match, for meta rules that
// compare the count (__W > 2); each gets an RE2 of its own for that,
// planned like a set.
void RuleSet::plan_counters(std::vector<Plan>& plans) {
    for (const auto& group : groups_) {
        for (int id : group->ids) {
            const Rule& r = *table_[static_cast<size_t>(id)].rule;
            if (r.negate || !has_tflag(r.tflags, "multiple"))
                continue;
            RE2 check(r.pattern, rule_options(set_memory_));
            auto size = static_cast<size_t>(check.ProgramSize());
            Plan plan;
            plan.ids = {id};
            plan.patterns = {r.pattern};
            plan.sizes = {size};
            plan.instructions = size;
            plan.first_read = read_at_[static_cast<size_t>(id)];
            plans.push_back(std::move(plan));
        }
    }
}

size_t RuleSet::largest_set() const {
    return std::min(set_memory_, total_memory_ / largest_share);
}

// Admits planned sets in the order their first rules were read while
// the least memory each needs fits in the total; a set that does not
// fit is halved, so that as many rules as fit are kept and the others
// are reported one by one.
std::vector<RuleSet::Plan> RuleSet::admit(std::vector<Plan> plans) {
    std::stable_sort(plans.begin(), plans.end(),
                     [](const Plan& a, const Plan& b) {
                         return a.first_read < b.first_read;
                     });
    size_t budget = total_memory_ - largest_set();
    size_t floors = 0;
    std::vector<Plan> admitted;
    std::vector<Plan> pending(std::make_move_iterator(plans.rbegin()),
                              std::make_move_iterator(plans.rend()));
    while (!pending.empty()) {
        Plan plan = std::move(pending.back());
        pending.pop_back();
        plan.floor = floor_of(plan.instructions, largest_set());
        if (floors + plan.floor <= budget) {
            floors += plan.floor;
            admitted.push_back(std::move(plan));
            continue;
        }
        if (plan.ids.size() == 1) {
            drop(plan.ids[0], fmt::format("does not fit in what is left of "
                                          "rules_memory_mib ({} MiB)",
                                          total_memory_ >> 20));
            continue;
        }
        size_t half = plan.ids.size() / 2;
        Plan second{plan.group};
        for (size_t i = half; i < plan.ids.size(); ++i) {
            second.ids.push_back(plan.ids[i]);
            second.patterns.push_back(std::move(plan.patterns[i]));
            second.sizes.push_back(plan.sizes[i]);
            second.instructions += plan.sizes[i];
        }
        plan.ids.resize(half);
        plan.patterns.resize(half);
        plan.sizes.resize(half);
        plan.instructions -= second.instructions;
        pending.push_back(std::move(second));
        pending.push_back(std::move(plan));
    }
    return admitted;
}

// Shares the total among the admitted sets in proportion to their
// programs, each between its floor and largest_set(): a DFA state holds
// a list of instructions, so each set gets room for about as many
// states. The rate is the highest whose caps still add up to the total.
void RuleSet::share_memory(std::vector<Plan>& plans) const {
    size_t budget = total_memory_ - largest_set();
    auto caps_at = [&](double rate) {
        size_t sum = 0;
        for (const Plan& plan : plans)
            sum +=
                std::clamp(static_cast<size_t>(
                               rate * static_cast<double>(plan.instructions)),
                           plan.floor, std::max(plan.floor, largest_set()));
        return sum;
    };
    double low = 0;
    double high = static_cast<double>(largest_set());
    for (int step = 0; step < 60; ++step) {
        double mid = (low + high) / 2;
        (caps_at(mid) <= budget ? low : high) = mid;
    }
    for (Plan& plan : plans)
        plan.cap = std::clamp(
            static_cast<size_t>(low * static_cast<double>(plan.instructions)),
            plan.floor, std::max(plan.floor, largest_set()));
}

void RuleSet::build(std::vector<Plan>& plans) {
    for (Plan& plan : plans) {
        if (plan.group) {
            build_chunks(*plan.group, std::move(plan.ids),
                         std::move(plan.patterns), plan.cap);
            continue;
        }
        int id = plan.ids[0];
        auto re =
            std::make_unique<RE2>(plan.patterns[0], rule_options(plan.cap));
        if (!re->ok()) {
            drop(id, fmt::format("needs more memory than is left of "
                                 "rules_memory_mib ({} MiB)",
                                 total_memory_ >> 20));
            continue;
        }
        memory_used_ += plan.cap;
        const Rule& r = *table_[static_cast<size_t>(id)].rule;
        counters_.push_back(std::make_unique<Counter>(
            Counter{id, std::move(re), max_hits_of(r.tflags)}));
    }
    // What match_chunk's one-pattern fallback may take at a time.
    memory_used_ += largest_set();
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

void RuleSet::compile(size_t set_memory_bytes, size_t total_memory_bytes) {
    report_directives();
    set_memory_ = set_memory_bytes;
    total_memory_ = total_memory_bytes;
    number_rules();
    std::vector<std::string> kept;
    std::map<Group*, std::vector<std::pair<int, int>>> sizes;
    read_at_.assign(table_.size(), 0);
    for (size_t at = 0; at < order_.size(); ++at)
        read_at_[static_cast<size_t>(id_of(order_[at]))] = at;
    for (const std::string& name : order_) {
        Rule& r = rules_[name];
        int id = id_of(name);
        // SpamAssassin rewrites these rules' <tags> before compiling them.
        if (tagged_.count(name)) {
            drop(id, "replace_rules tags are not supported");
            continue;
        }
        if (r.kind == RuleKind::meta) {
            auto parsed = MetaExpression::parse(r.expression);
            if (!parsed) {
                drop(id, parsed.error().message);
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
        if (r.exists) {
            if (!is_switched_off(r)) {
                selectors_.insert(r.selector);
                exists_.push_back(id);
            }
            kept.push_back(name);
            continue;
        }
        RE2 check(r.pattern, rule_options(set_memory_));
        if (!check.ok()) {
            drop(id,
                 fmt::format("RE2 cannot run this pattern: {}", check.error()));
            continue;
        }
        // Checked like any other, but never run: see is_switched_off.
        if (is_switched_off(r)) {
            kept.push_back(name);
            continue;
        }
        if (r.kind == RuleKind::header)
            selectors_.insert(r.selector);
        bool nosubject =
            r.kind == RuleKind::body && has_tflag(r.tflags, "nosubject");
        Group& group = group_for(r.kind, nosubject ? "nosubject" : r.selector);
        group.ids.push_back(id);
        sizes[&group].push_back({id, check.ProgramSize()});
        kept.push_back(name);
    }
    std::vector<Plan> plans;
    for (auto& group : groups_)
        plan_group(*group, sizes[group.get()], plans);
    plan_counters(plans);
    plans = admit(std::move(plans));
    share_memory(plans);
    build(plans);
    if (!dropped_.empty())
        drop_unbuilt(kept);
    order_ = std::move(kept);
    for (auto& group : groups_)
        if (group->kind == RuleKind::header)
            settle_absent(*group);
    drop_meta_cycles();
    drop_broken_metas();
    drop_switched_off_metas();
    settle_set_switches();
    report_undefined_scores();
}

// A rule scored 0 in one score set only runs (the other set scores it),
// but in the set that scores it 0 it is as switched off as a rule scored
// 0 in both: it reads as not fired, and a meta rule that uses a meta
// rule so switched off is not evaluated.
void RuleSet::settle_set_switches() {
    for (ScoreSet set : {ScoreSet::without_bayes, ScoreSet::with_bayes}) {
        std::vector<char>& off = off_in_set_[static_cast<size_t>(set)];
        off.assign(table_.size(), 0);
        for (size_t id = 0; id < table_.size(); ++id) {
            const Rule& r = *table_[id].rule;
            std::optional<double> given =
                set == ScoreSet::with_bayes
                    ? r.score
                    : (r.score_without_bayes ? r.score_without_bayes : r.score);
            off[id] = given && *given == 0;
        }
        for (int id : meta_order_) {
            const auto& uses = metas_.at(id)->ids();
            off[static_cast<size_t>(id)] =
                off[static_cast<size_t>(id)] ||
                std::any_of(uses.begin(), uses.end(), [&](int used) {
                    return used >= 0 && off[static_cast<size_t>(used)] &&
                           table_[static_cast<size_t>(used)].rule->kind ==
                               RuleKind::meta;
                });
        }
    }
}

// SpamAssassin 4 evaluates a meta rule once every rule it uses has run.
// A rule switched off by a zero score never runs: a pattern rule then
// reads 0, but a meta rule is never marked as run, so a meta rule that
// uses it is never evaluated either ("!OFF_META" does not fire), nor
// any meta rule that uses that one in turn. meta_order_ has each meta
// rule after those it uses, so one pass settles them all.
void RuleSet::drop_switched_off_metas() {
    std::vector<char> off(table_.size(), 0);
    auto off_meta = [&](int id) {
        return id >= 0 &&
               table_[static_cast<size_t>(id)].rule->kind == RuleKind::meta &&
               (is_off(id) || off[static_cast<size_t>(id)]);
    };
    for (int id : meta_order_) {
        const auto& uses = metas_[id]->ids();
        off[static_cast<size_t>(id)] =
            is_off(id) || std::any_of(uses.begin(), uses.end(), off_meta);
    }
    std::erase_if(meta_order_,
                  [&](int id) { return off[static_cast<size_t>(id)] != 0; });
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
    std::erase_if(counters_, [&](const auto& c) { return dropped(c->id); });
    std::erase_if(
        kept, [&](const std::string& name) { return dropped(id_of(name)); });
}

bool RuleSet::is_defined(const std::string& name) const {
    auto it = rules_.find(name);
    return it != rules_.end() &&
           (it->second.kind != RuleKind::builtin || builtins_.count(name));
}

// A meta rule that uses a rule which was skipped, or which no file
// defines, would read it as "not fired": "A && !__SKIPPED" would fire
// where SpamAssassin's would not. Such a meta rule is skipped too, and
// so, in turn, is every meta rule that uses it. meta_order_ has each
// meta rule after those it uses, so one pass settles them all. A rule
// switched off by a zero score reads 0 in SpamAssassin too, whether it
// could run or not, so it breaks nothing.
void RuleSet::drop_broken_metas() {
    std::vector<char> usable(table_.size(), 0);
    for (const std::string& name : order_)
        usable[static_cast<size_t>(id_of(name))] = 1;
    for (const std::string& name : builtins_)
        usable[static_cast<size_t>(id_of(name))] = 1;
    for (int meta : meta_order_)
        usable[static_cast<size_t>(meta)] = 0;
    std::set<int> broken;
    for (int meta : meta_order_) {
        const MetaExpression& expression = *metas_[meta];
        std::string why;
        for (size_t i = 0; i < expression.names().size() && why.empty(); ++i) {
            const std::string& used = expression.names()[i];
            int id = expression.ids()[i];
            if (id >= 0 && (usable[static_cast<size_t>(id)] || is_off(id)))
                continue;
            why = is_defined(used) || skipped_.count(used)
                      ? fmt::format("uses {}, which was skipped; skipped too",
                                    used)
                      : fmt::format("uses {}, which no rule defines; skipped",
                                    used);
        }
        if (why.empty()) {
            usable[static_cast<size_t>(meta)] = 1;
            continue;
        }
        drop(meta, why);
        broken.insert(meta);
    }
    if (broken.empty())
        return;
    std::erase_if(meta_order_, [&](int id) { return broken.count(id) > 0; });
    for (int id : broken)
        metas_.erase(id);
    std::erase_if(order_, [&](const std::string& name) {
        return broken.count(id_of(name)) > 0;
    });
}

// A score for a rule no file defines scores nothing, which is worth
// knowing: the rule's name may be misspelt, or its file missing. A
// score for a rule that was skipped says nothing new.
void RuleSet::report_undefined_scores() {
    for (const auto& [name, r] : rules_)
        if (!r.score_where.empty() && !is_defined(name) &&
            !skipped_.count(name))
            problems_.push_back(
                {r.score_where,
                 fmt::format("{}: has a score, but no rule defines it", name)});
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
                text, RE2(chunk.patterns[i], rule_options(chunk.memory_bytes))))
            fired[static_cast<size_t>(chunk.ids[i])] = 1;
}

void RuleSet::match_text(const Group& group, std::string_view text,
                         std::vector<char>& fired,
                         std::vector<int>& matched) const {
    for (const auto& chunk : group.chunks)
        match_chunk(*chunk, text, fired, matched);
}

// SpamAssassin matches body rules against each paragraph on its own,
// so ^ and $ find paragraph starts and ends, and no match runs from one
// paragraph into the next.
// XXX: SpamAssassin also cuts paragraphs over 2,048 bytes at a space; a
// match across such a cut fires here and not there.
void RuleSet::match_paragraphs(const Group& group, std::string_view body,
                               std::vector<char>& fired,
                               std::vector<int>& matched) const {
    for_each_paragraph(body, group.selector == "nosubject",
                       [&](std::string_view paragraph) {
                           match_text(group, paragraph, fired, matched);
                       });
}

void RuleSet::match_groups(const MessageView& message,
                           std::vector<uint32_t>& hits) const {
    std::vector<char> fired(table_.size(), 0);
    std::vector<int> matched; // reused by every set, as RE2 clears it
    for (const auto& group : groups_) {
        switch (group->kind) {
        case RuleKind::body:
            match_paragraphs(*group, message.body, fired, matched);
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

// Counts the matches of each tflags multiple rule that fired, on the
// same texts its set read.
void RuleSet::count_hits(const MessageView& message,
                         std::vector<uint32_t>& hits) const {
    for (const auto& counter : counters_) {
        auto index = static_cast<size_t>(counter->id);
        if (hits[index] == 0)
            continue;
        const Rule& r = *table_[index].rule;
        const RE2& re = *counter->re;
        uint32_t limit = counter->max_hits;
        uint32_t count = 0;
        switch (r.kind) {
        case RuleKind::body:
            for_each_paragraph(message.body, has_tflag(r.tflags, "nosubject"),
                               [&](std::string_view paragraph) {
                                   count = count_matches(re, paragraph, limit,
                                                         count);
                               });
            break;
        case RuleKind::rawbody:
            count = count_matches(re, message.rawbody, limit, 0);
            break;
        case RuleKind::full:
            count = count_matches(re, message.full, limit, 0);
            break;
        case RuleKind::uri: {
            size_t counted =
                message.uris.size() -
                std::min(message.normalised_only_uris, message.uris.size());
            for (size_t i = 0; i < counted; ++i)
                count = count_matches(re, message.uris[i], limit, count);
            break;
        }
        case RuleKind::header: {
            auto it = message.headers.find(r.selector);
            count = it == message.headers.end()
                        ? 1 // fired on the [if-unset] value
                        : count_matches(re, it->second, limit, 0);
            break;
        }
        default:
            break;
        }
        hits[index] = std::max<uint32_t>(count, 1);
    }
}

// Meta rules are evaluated in dependency order, each once; a rule's
// value is 1 when it fired, 0 when not, and a tflags multiple rule's is
// the number of times it matched.
void RuleSet::evaluate_metas(std::vector<uint32_t>& hits, ScoreSet set) const {
    const std::vector<char>& off = off_in_set_[static_cast<size_t>(set)];
    for (int id : meta_order_) {
        if (static_cast<size_t>(id) < off.size() &&
            off[static_cast<size_t>(id)])
            continue;
        double value = metas_.at(id)->evaluate([&](int used) {
            return used >= 0
                       ? static_cast<double>(hits[static_cast<size_t>(used)])
                       : 0.0;
        });
        if (value != 0)
            hits[static_cast<size_t>(id)] = 1;
    }
}

std::vector<Hit> RuleSet::match(const MessageView& message,
                                const std::set<std::string>& builtin_hits,
                                ScoreSet set) const {
    std::vector<uint32_t> hits(table_.size(), 0);
    for (const std::string& name : builtin_hits)
        if (int id = id_of(name); id >= 0 && !is_off(id))
            hits[static_cast<size_t>(id)] = 1;
    for (int id : exists_)
        if (message.headers.count(
                table_[static_cast<size_t>(id)].rule->selector))
            hits[static_cast<size_t>(id)] = 1;
    match_groups(message, hits);
    count_hits(message, hits);
    const std::vector<char>& off = off_in_set_[static_cast<size_t>(set)];
    for (size_t id = 0; id < off.size() && id < hits.size(); ++id)
        if (off[id])
            hits[id] = 0;
    evaluate_metas(hits, set);

    // Ids are in name order: sorting by score alone, stably, puts rules
    // of equal score in name order.
    std::vector<Hit> out;
    for (size_t id = 0; id < hits.size(); ++id) {
        const Entry& entry = table_[id];
        double score = set == ScoreSet::with_bayes ? entry.score
                                                   : entry.score_without_bayes;
        if (hits[id] && !entry.sub_rule && score != 0)
            out.push_back({entry.rule->name, score, entry.rule->description});
    }
    std::stable_sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
        return a.score > b.score;
    });
    return out;
}

} // namespace portcullis::spam_score
