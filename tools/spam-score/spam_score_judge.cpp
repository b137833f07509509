// Judging one score per recipient: the recipient's levels give bands and
// lists, and those turn the message's one score into an action. The
// senders are read once per message and recipients who share their
// levels share one judgement, so a message to a thousand users of one
// domain costs one judgement, not a thousand.
#include "spam_score.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace portcullis::spam_score {

namespace {

constexpr double off = std::numeric_limits<double>::infinity();
constexpr double list_weight = 100.0;

void add_refused(std::vector<Refusal>& out, std::string_view key,
                 const std::vector<std::string>& refused) {
    for (const std::string& why : refused)
        out.push_back({std::string(key), why});
}

// A client address no list can read (a typo in the front end's
// envelope) is said, never taken for a client on no list.
std::optional<net::Address> client_of(const stream::Record& record) {
    auto client = record.envelope.find("client");
    if (client == record.envelope.end() || !client->is_object())
        return std::nullopt;
    auto ip = client->find("ip");
    if (ip == client->end() || !ip->is_string() ||
        ip->get<std::string>().empty())
        return std::nullopt;
    auto address = net::parse_client_address(ip->get<std::string>());
    if (!address)
        log::event(record.id(), "lists",
                   {{"client_ip", ip->get<std::string>()},
                    {"error", "no IP address; client lists not checked"}});
    return address;
}

void log_refused(std::string_view id, std::string_view rcpt,
                 const std::vector<Refusal>& refused) {
    for (const Refusal& refusal : refused) {
        nlohmann::ordered_json fields;
        if (!rcpt.empty())
            fields["rcpt"] = rcpt;
        fields["key"] = refusal.key;
        fields["refused"] = refusal.why;
        log::event(id, "levels", fields);
    }
}

} // namespace

Senders senders_of(const Score& score, const mail::Envelope& envelope) {
    Senders out;
    for (const std::string& address : score.from_addresses)
        out.from.push_back(mail::AddressKey::of(address));
    out.one_from_header = score.from_headers == 1;
    out.envelope = mail::AddressKey::of(envelope.mail_from);
    out.envelope_guessed = envelope.mail_from_guessed;
    return out;
}

// The verdict's action is the system level's; each recipient whose own
// levels judge otherwise is named in its rcpt.
Judgement Engine::judge_recipients(const stream::Record& record,
                                   const Score& score,
                                   const mail::Envelope& envelope,
                                   verdict::Verdict& verdict, Reader& reader) {
    Senders senders = senders_of(score, envelope);
    std::optional<net::Address> client = client_of(record);
    // Domain files edited since the last record count from this one.
    hierarchy_.recheck();
    judged_.clear();

    levels::Layers system{&config_.tool(tool_name), nullptr, nullptr};
    Judgement message = judgement(system, score, senders, client);
    log_refused(record.id(), "", message.refused);
    verdict.escalate(message.action);
    for (const std::string& rcpt : envelope.rcpt) {
        const Judgement& own =
            judgement(layers_for(rcpt), score, senders, client);
        // A recipient guessed from To or Delivered-To is the sender's to
        // name: a forged To must not pick the user with the loosest bands
        // or an allow list that takes the forged From. Its own levels may
        // make the judgement stricter, never looser (--recipient says
        // who it really is); where they judge alike, the system level's
        // score is shown, so no guessed allow list reaches the headers.
        bool own_counts =
            !envelope.rcpt_guessed ||
            (own.action != message.action &&
             verdict::most_severe(own.action, message.action) == own.action);
        const Judgement& mine = own_counts ? own : message;
        log_refused(record.id(), rcpt, mine.refused);
        if (mine.action != message.action)
            verdict.set_rcpt_action(rcpt, mine.action);
        if (envelope.rcpt.size() == 1 && own_counts)
            reader = Reader{rcpt, mine};
    }
    return message;
}

levels::Layers Engine::layers_for(std::string_view rcpt) {
    auto layers = hierarchy_.layers(rcpt);
    // A domain file read again leaves the tables and lists of its old
    // contents behind: nothing may be found by their address any more.
    if (hierarchy_.generation() != hierarchy_generation_) {
        hierarchy_generation_ = hierarchy_.generation();
        lists_.forget_lower();
        type_checked_.clear();
        reported_.clear();
        judged_.clear();
    }
    // One domain administrator's broken file must not hold up mail for
    // everyone else: that domain's recipients get the system level.
    if (!layers) {
        std::string why = terminal_safe(layers.error().text());
        if (reported_.insert(why).second)
            log::error(
                fmt::format("{}; its recipients get the system level", why));
        return levels::Layers{&config_.tool(tool_name), nullptr, nullptr};
    }
    for (const toml::table* table : {layers->domain, layers->user}) {
        if (!table || !type_checked_.insert(table).second)
            continue;
        for (const std::string& problem : type_problems(*table))
            log::error(terminal_safe(problem) + "; ignored");
    }
    return *layers;
}

const Judgement& Engine::judgement(const levels::Layers& layers,
                                   const Score& score, const Senders& senders,
                                   const std::optional<net::Address>& client) {
    LayerKey key{layers.system, layers.domain, layers.user};
    auto found = judged_.find(key);
    if (found == judged_.end())
        found =
            judged_.emplace(key, judge(layers, score, senders, client)).first;
    return found->second;
}

Judgement Engine::judge(const levels::Layers& layers, const Score& score,
                        const Senders& senders,
                        const std::optional<net::Address>& client) {
    using levels::Hierarchy;
    Judgement out;
    Bands bands;
    auto band = [&](const char* key, double fallback) -> std::optional<double> {
        auto resolved =
            Hierarchy::number(layers, key, fallback, levels::Stricter::lower);
        add_refused(out.refused, key, resolved.refused);
        if (std::isinf(resolved.value))
            return std::nullopt;
        return resolved.value;
    };
    bands.tag = band("thresholds.tag", 5.0);
    bands.folder = band("thresholds.folder", off);
    bands.quarantine = band("thresholds.quarantine", off);
    bands.reject = band("thresholds.reject", off);
    bands.discard = band("thresholds.discard", off);

    // A block at any level wins over an allow at any level: block lists
    // only grow downwards, and an allow must not cancel one.
    double total = score.total;
    if (blocked(layers, senders, client, out.refused))
        out.list_hit = Hit{"BLOCKLISTED", list_weight,
                           "sender or client is on a block list"};
    else if (allowed(layers, senders, client, out.refused))
        out.list_hit = Hit{"ALLOWLISTED", -list_weight,
                           "sender or client is on an allow list"};
    if (out.list_hit)
        total = rounded_score(total + out.list_hit->score);
    out.action = band_action(bands, total);
    return out;
}

// Every mailbox of every From header counts for a block list, so a
// second mailbox or header cannot hide the blocked one. So does the
// envelope sender, even one guessed from Return-Path: a block only makes
// things stricter, and a forger gains nothing by naming a blocked sender.
bool Engine::blocked(const levels::Layers& layers, const Senders& senders,
                     const std::optional<net::Address>& client,
                     std::vector<Refusal>& refused) {
    using levels::Hierarchy;
    auto lists = Hierarchy::union_arrays(layers, "block_senders");
    auto clients = Hierarchy::union_arrays(layers, "block_clients");
    add_refused(refused, "block_senders", lists.refused);
    add_refused(refused, "block_clients", clients.refused);
    auto listed = [&](const mail::AddressKey& address) {
        return lists_.sender_listed(lists.value, address);
    };
    return std::any_of(senders.from.begin(), senders.from.end(), listed) ||
           listed(senders.envelope) ||
           lists_.client_listed(clients.value, client);
}

// A forged From alone must not pass the allow list: every From mailbox
// must be listed, in one From header, and when the envelope sender is
// known it has to be listed too; the null sender <> never is. A sender
// guessed from a plain file's headers is as forgeable as From, so it
// adds nothing here.
bool Engine::allowed(const levels::Layers& layers, const Senders& senders,
                     const std::optional<net::Address>& client,
                     std::vector<Refusal>& refused) {
    using levels::Hierarchy;
    auto lists = Hierarchy::loosening_arrays(layers, "allow_senders");
    auto clients = Hierarchy::loosening_arrays(layers, "allow_clients");
    add_refused(refused, "allow_senders", lists.refused);
    add_refused(refused, "allow_clients", clients.refused);
    auto listed = [&](const mail::AddressKey& address) {
        return lists_.sender_listed(lists.value, address);
    };
    bool from_ok =
        senders.one_from_header && !senders.from.empty() &&
        std::all_of(senders.from.begin(), senders.from.end(), listed);
    bool sender_ok =
        from_ok && (senders.envelope_guessed || listed(senders.envelope));
    return sender_ok || lists_.client_listed(clients.value, client);
}

} // namespace portcullis::spam_score
