// Compiling and matching rules. Patterns that read the same text are
// compiled into one RE2::Set, so a message is read once per text however
// many rules there are, and RE2 keeps every match linear in time.
#include "spam_score_meta.hpp"
#include "spam_score_rules.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace portcullis::spam_score {

struct RuleSet::Group {
    RuleKind kind;
    std::string selector;
    std::unique_ptr<RE2::Set> set;
    std::vector<std::string> names;
};

namespace {

RE2::Options rule_options() {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    return options;
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
    group->set = std::make_unique<RE2::Set>(rule_options(), RE2::UNANCHORED);
    groups_.push_back(std::move(group));
    return *groups_.back();
}

void RuleSet::compile() {
    std::vector<std::string> kept;
    for (const std::string& name : order_) {
        Rule& r = rules_[name];
        if (r.kind == RuleKind::meta) {
            auto parsed = MetaExpression::parse(r.expression);
            if (!parsed) {
                problems_.push_back(
                    {r.where,
                     fmt::format("{}: {}", name, parsed.error().message)});
                continue;
            }
            metas_[name] = std::move(*parsed);
            meta_order_.push_back(name);
            kept.push_back(name);
            continue;
        }
        if (r.kind == RuleKind::header)
            selectors_.insert(r.selector);
        if (r.exists) {
            kept.push_back(name);
            continue;
        }
        RE2 check(r.pattern, rule_options());
        if (!check.ok()) {
            problems_.push_back(
                {r.where, fmt::format("{}: RE2 cannot run this pattern: {}",
                                      name, check.error())});
            continue;
        }
        Group& group = group_for(r.kind, r.selector);
        std::string error;
        if (group.set->Add(r.pattern, &error) < 0) {
            problems_.push_back({r.where, fmt::format("{}: {}", name, error)});
            continue;
        }
        group.names.push_back(name);
        kept.push_back(name);
    }
    order_ = std::move(kept);
    for (auto& group : groups_)
        if (!group->set->Compile())
            problems_.push_back(
                {"-", fmt::format("rules on {} need too much memory",
                                  group->selector)});
    for (const std::string& meta : meta_order_)
        for (const std::string& used : metas_[meta]->names())
            if (!rules_.count(used) ||
                (rules_[used].kind == RuleKind::builtin &&
                 !builtins_.count(used)))
                problems_.push_back(
                    {rules_[meta].where,
                     fmt::format("{}: unknown rule {} counts as not fired",
                                 meta, used)});
}

void RuleSet::match_groups(const MessageView& message,
                           std::set<std::string>& hits) const {
    std::vector<int> matched;
    for (const auto& group : groups_) {
        std::vector<bool> fired(group->names.size(), false);
        auto run = [&](std::string_view text) {
            matched.clear();
            if (group->set->Match(text, &matched))
                for (int i : matched)
                    fired[static_cast<size_t>(i)] = true;
        };
        const std::string* unset_header = nullptr;
        switch (group->kind) {
        case RuleKind::body:
            run(message.body);
            break;
        case RuleKind::rawbody:
            run(message.rawbody);
            break;
        case RuleKind::full:
            run(message.full);
            break;
        case RuleKind::uri:
            for (const std::string& u : message.uris)
                run(u);
            break;
        case RuleKind::header: {
            auto it = message.headers.find(group->selector);
            if (it != message.headers.end()) {
                run(it->second);
                break;
            }
            static const std::string empty;
            unset_header = &empty;
            run(empty);
            break;
        }
        default:
            break;
        }
        for (size_t i = 0; i < group->names.size(); ++i) {
            const Rule& r = rules_.at(group->names[i]);
            bool hit = fired[i];
            if (unset_header && r.if_unset)
                hit = RE2::PartialMatch(*r.if_unset, RE2(r.pattern));
            if (hit != r.negate)
                hits.insert(r.name);
        }
    }
}

bool RuleSet::evaluate_meta(const std::string& name,
                            std::set<std::string>& hits,
                            std::map<std::string, bool>& done,
                            int depth) const {
    if (auto it = done.find(name); it != done.end())
        return it->second;
    auto meta = metas_.find(name);
    if (meta == metas_.end() || depth > 50)
        return hits.count(name) > 0;
    done[name] = false; // a cycle reads as not fired
    double value = meta->second->evaluate([&](const std::string& used) {
        return evaluate_meta(used, hits, done, depth + 1) ? 1.0 : 0.0;
    });
    done[name] = value != 0;
    if (value != 0)
        hits.insert(name);
    return value != 0;
}

std::vector<Hit>
RuleSet::match(const MessageView& message,
               const std::set<std::string>& builtin_hits) const {
    std::set<std::string> hits;
    for (const std::string& name : builtin_hits)
        if (rules_.count(name))
            hits.insert(name);
    for (const std::string& name : order_) {
        const Rule& r = rules_.at(name);
        if (r.exists && message.headers.count(r.selector))
            hits.insert(name);
    }
    match_groups(message, hits);
    std::map<std::string, bool> done;
    for (const std::string& name : meta_order_)
        evaluate_meta(name, hits, done, 0);

    std::vector<Hit> out;
    for (const std::string& name : hits) {
        const Rule& r = rules_.at(name);
        double score = score_of(r);
        if (name.rfind("__", 0) == 0 || score == 0)
            continue;
        out.push_back({name, score, r.description});
    }
    std::stable_sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
        return a.score > b.score;
    });
    return out;
}

} // namespace portcullis::spam_score
