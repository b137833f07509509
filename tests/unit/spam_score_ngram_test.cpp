// spam-score's n-gram model: which bytes give features, how they are
// stored, a fit that does not depend on the order of learning, and the
// store's examples and models, learned and forgotten through the tool.
#include "spam_score_fixtures.hpp"

#include "mail/header_edit.hpp"
#include "spam_score_ngram.hpp"

#include <sqlite3.h>

#include <cmath>
#include <limits>

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

namespace {

const std::string body =
    "Subject: lunch on friday\nFrom: ann@example.org\nTo: bob@example.org\n"
    "\nShall we meet at noon by the fountain?\n";

// A message of one class, numbered so that each has its own digest.
std::string example_message(bool spam, int n) {
    if (spam)
        return fmt::format("From: deals{0}@offers.example\nTo: you@example.org"
                           "\nSubject: CHEAP PILLS {0} - BUY NOW!!!\n\nBUY "
                           "CHEAP PILLS NOW, lowest price {0}, click here!!!"
                           "\n",
                           n);
    return fmt::format("From: ann@example.org\nTo: team@example.org\n"
                       "Subject: notes of meeting {0}\n\nHello team, the "
                       "notes of meeting {0} are attached; see you on "
                       "monday.\n",
                       n);
}

std::vector<state::Example> examples_of(int per_class) {
    std::vector<state::Example> out;
    for (int n = 0; n < per_class; ++n)
        for (bool spam : {true, false})
            out.push_back({fmt::format("{}{}", spam ? "s" : "h", n), spam,
                           encode_features(
                               ngram_features(example_message(spam, n), ""))});
    return out;
}

int64_t count_rows(const std::string& path, const char* table) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    std::string sql = fmt::format("SELECT count(*) FROM {}", table);
    int64_t rows = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

// Twelve messages of each class written to files in dir: their paths.
std::pair<std::vector<std::string>, std::vector<std::string>>
write_examples(const TempDir& dir) {
    std::vector<std::string> spam, ham;
    for (int n = 0; n < 12; ++n) {
        for (bool is_spam : {true, false}) {
            std::string file =
                fmt::format("{}/{}{}.eml", dir.path, is_spam ? "s" : "h", n);
            std::ofstream(file) << example_message(is_spam, n);
            (is_spam ? spam : ham).push_back(file);
        }
    }
    return {spam, ham};
}

// Runs SQL on the database at path, as someone with the file might.
void run_sql(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
}

// The stored n-gram model, or nullopt when there is none.
std::optional<std::string> stored_model(const std::string& path) {
    auto store = state::SqliteStore::open(path, true);
    REQUIRE(store.ok());
    auto model = (*store)->model(ngram_model_name);
    REQUIRE(model.ok());
    return *model;
}

bool has_model(const std::string& path) {
    return stored_model(path).has_value();
}

// Learns files into options' state folder, quietly, as spam or as ham,
// or forgets them.
ExitCode learn_files(Options options, const config::Config& config,
                     const std::vector<std::string>& files, bool spam,
                     bool forget = false) {
    options.common.inputs = files;
    options.common.quiet = true;
    LearnOptions how;
    how.spam = spam;
    how.ham = !spam;
    how.forget = forget;
    return learn(options, config, how);
}

} // namespace

TEST_CASE("n-gram features are the distinct 4-grams of the window") {
    // 20 bytes, 17 4-grams, "abcd" twice.
    // "Subject: x\n" from the subject given, then "\nabcdabcd": 20 bytes,
    // 17 4-grams, "abcd" twice.
    CHECK(ngram_features("\nabcdabcd", "x").size() == 16);
    // The message's own Subject field is not read.
    CHECK(ngram_features("Subject: y\n\nabcdabcd", "x") ==
          ngram_features("\nabcdabcd", "x"));
    CHECK(ngram_features("", "").size() == 7); // "Subject: \n"
    auto features = ngram_features(body, "");
    CHECK(std::is_sorted(features.begin(), features.end()));
    CHECK(std::adjacent_find(features.begin(), features.end()) ==
          features.end());
    CHECK(features.back() < (1u << ngram_bits));
}

TEST_CASE("n-gram features leave out trace fields, dates, ids and our own") {
    std::string traced =
        "From someone@example.org Sat Dec  5 10:00:00 2026\n"
        "Received: from mx.example.org (mx.example.org [192.0.2.1])\n"
        "\tby gw.example.net with ESMTP; Sat, 5 Dec 2026 10:00:00 +0000\n"
        "Return-Path: <ann@example.org>\nDelivered-To: bob@example.org\n"
        "Date: Sat, 5 Dec 2026 10:00:00 +0000\n"
        "Message-ID: <12345@example.org>\n"
        "X-Spam-Status: No, score=0.1\n\trequired=5.0 tests=NONE\n"
        "X-SPAM-Flag: NO\nX-Portcullis-Policy: pass\n"
        "Authentication-Results: gw.example.net; spf=pass\n"
        "ARC-Seal: i=1; a=rsa-sha256; cv=none\n"
        "Status: RO\nX-Status: A\nX-UID: 4711\nX-Keywords: $label1\n"
        "X-Virus-Scanned : amavisd-new at example.net\n"
        "X-UIDL: 1234\nX-Sieve: CMU Sieve 2.2\n"
        "X-Apparently-To: bob@example.org via 192.0.2.9\n" +
        body;
    CHECK(ngram_features(traced, "") == ngram_features(body, ""));
    // A From field written with a blank before its colon is read.
    CHECK(ngram_features("From : x@example.org\n" + body, "") !=
          ngram_features(body, ""));
    // Fields not in the list are read.
    CHECK(ngram_features("X-Mailer: mutt\n" + body, "") !=
          ngram_features(body, ""));
}

TEST_CASE("n-gram features read a tagged subject as the sender wrote it") {
    auto ngrams = [](const std::string& message, const std::string& tag) {
        auto analysis = analyse(message, Limits{}, 1 << 20);
        REQUIRE(analysis.ok());
        return message_ngrams(*analysis, message, tag);
    };
    std::string long_subject(90, 'w');
    // However the tagger had to write the tag (folded after it on a
    // long line, into an empty or missing subject, with a space added,
    // encoded when it is not ASCII), the copy reads as the original.
    for (std::string tag : {"[SPAM]", "[SP\xc3\x84M]"}) {
        for (const std::string& subject : std::vector<std::string>{
                 "Subject: lunch on friday\n",
                 "Subject: " + long_subject + "\n", "Subject:\n", "Subject:x\n",
                 "Subject : lunch\n", ""}) {
            std::string message = subject + "From: ann@example.org\n\nHi\n";
            std::string tagged = mail::tag_subject(message, tag);
            REQUIRE(tagged != message);
            CHECK(ngrams(tagged, tag) == ngrams(message, tag));
        }
    }
    // A tag that is not in front is the sender's.
    std::string forwarded = "Subject: Fwd: [SPAM] offer\n\nHi\n";
    CHECK(ngrams(forwarded, "[SPAM]") !=
          ngrams("Subject: Fwd: offer\n\nHi\n", "[SPAM]"));
    // The subject read is the decoded one.
    CHECK(ngrams("Subject: =?utf-8?Q?lunch_on_friday?=\n\nHi\n", "") ==
          ngrams("Subject: lunch on friday\n\nHi\n", ""));
}

TEST_CASE("n-gram features are the same for CRLF and LF line ends") {
    std::string crlf;
    for (char c : body) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    CHECK(ngram_features(crlf, "") == ngram_features(body, ""));
    // Also where the window ends on a line end.
    for (size_t pad = 0; pad < 8; ++pad) {
        std::string lf = "From: ann@example.org\n\n" + std::string(pad, 'x');
        while (lf.size() < 2 * ngram_window)
            lf += "word\n";
        std::string crlf_copy;
        for (char c : lf) {
            if (c == '\n')
                crlf_copy += '\r';
            crlf_copy += c;
        }
        CHECK(ngram_features(crlf_copy, "") == ngram_features(lf, ""));
    }
}

TEST_CASE("n-gram features read no further than the window") {
    std::string headers = "From: ann@example.org\n\n";
    std::string text;
    for (int i = 0; text.size() < 2 * ngram_window; ++i)
        text += fmt::format("word{} ", i);
    // The subject line given counts towards the window.
    std::string window =
        (headers + text)
            .substr(0, ngram_window - std::string("Subject: \n").size());
    CHECK(ngram_features(headers + text, "") == ngram_features(window, ""));
    CHECK(ngram_features(headers + text, "") ==
          ngram_features((headers + text).substr(0, ngram_window + 1), ""));
    CHECK(ngram_features(headers + text, "") !=
          ngram_features(window.substr(0, window.size() - 100), ""));
}

TEST_CASE("stored n-gram features read back, and damaged ones do not") {
    std::vector<uint32_t> features = {
        0, 1, 127, 128, 16383, 16384, (1u << ngram_bits) - 1};
    std::string stored = encode_features(features);
    auto back = decode_features(stored);
    REQUIRE(back.has_value());
    CHECK(*back == features);
    CHECK(decode_features(encode_features({}))->empty());

    CHECK(!decode_features("").has_value());
    CHECK(!decode_features(std::string(1, '\x02')).has_value());
    // Cut inside a number.
    CHECK(!decode_features(stored.substr(0, stored.size() - 1) + "\x80")
               .has_value());
    // A value twice, and one past the table.
    std::vector<uint32_t> twice = {5, 5};
    CHECK(!decode_features(encode_features(twice)).has_value());
    std::vector<uint32_t> past = {1u << ngram_bits};
    CHECK(!decode_features(encode_features(past)).has_value());
    // A number of more bytes than any value needs.
    CHECK(!decode_features(std::string("\x01\xff\xff\xff\xff\xff\x01", 7))
               .has_value());
}

TEST_CASE("the n-gram model learns the classes, whatever their order") {
    std::vector<state::Example> examples = examples_of(20);
    size_t skipped = 0;
    NgramModel model = NgramModel::fit(examples, skipped);
    CHECK(skipped == 0);
    double spam =
        model.probability(ngram_features(example_message(true, 99), ""));
    double ham =
        model.probability(ngram_features(example_message(false, 99), ""));
    CHECK(spam > 0.8);
    CHECK(ham < 0.2);

    // All spam learned first, then all ham: the same model.
    std::stable_sort(examples.begin(), examples.end(),
                     [](const state::Example& a, const state::Example& b) {
                         return a.spam > b.spam;
                     });
    CHECK(NgramModel::fit(examples, skipped).bytes() == model.bytes());
    std::reverse(examples.begin(), examples.end());
    CHECK(NgramModel::fit(examples, skipped).bytes() == model.bytes());

    // A damaged example is passed over and counted.
    examples.push_back({"bad", true, "\x01\x80"});
    NgramModel without = NgramModel::fit(examples, skipped);
    CHECK(skipped == 1);
    CHECK(without.bytes() == model.bytes());
}

TEST_CASE("a stored n-gram model reads back, and a damaged one does not") {
    size_t skipped = 0;
    NgramModel model = NgramModel::fit(examples_of(3), skipped);
    std::string bytes = model.bytes();
    CHECK(bytes.size() == 2 + 4 * (size_t{1} << ngram_bits));
    auto back = NgramModel::read(bytes);
    REQUIRE(back.has_value());
    CHECK(back->bytes() == bytes);
    auto features = ngram_features(example_message(true, 1), "");
    CHECK(back->probability(features) == model.probability(features));

    CHECK(!NgramModel::read(bytes.substr(1)).has_value());
    CHECK(!NgramModel::read("").has_value());
    std::string other_format = bytes;
    other_format[0] = 2;
    CHECK(!NgramModel::read(other_format).has_value());
    // A weight that is no number.
    std::string not_a_number = bytes;
    float nan = std::numeric_limits<float>::quiet_NaN();
    auto bits = std::bit_cast<uint32_t>(nan);
    for (int i = 0; i < 4; ++i)
        not_a_number[2 + static_cast<size_t>(i)] =
            static_cast<char>((bits >> (8 * i)) & 0xff);
    CHECK(!NgramModel::read(not_a_number).has_value());
}

TEST_CASE("n-gram rules take the bands of the Bayes rules") {
    CHECK(ngram_rule(0.0) == "NGRAM_00");
    CHECK(ngram_rule(0.0099) == "NGRAM_00");
    CHECK(ngram_rule(0.01) == "NGRAM_05");
    CHECK(ngram_rule(0.1) == "NGRAM_20");
    CHECK(ngram_rule(0.3) == "NGRAM_40");
    CHECK(ngram_rule(0.5) == "NGRAM_50");
    CHECK(ngram_rule(0.7) == "NGRAM_60");
    CHECK(ngram_rule(0.9) == "NGRAM_80");
    CHECK(ngram_rule(0.98) == "NGRAM_95");
    CHECK(ngram_rule(0.99) == "NGRAM_99");
    CHECK(ngram_rule(1.0) == "NGRAM_99");
    const std::vector<std::string>& names = builtin_names();
    for (const char* name : {"NGRAM_00", "NGRAM_50", "NGRAM_99"})
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
}

TEST_CASE("the store keeps examples by digest and one model by name") {
    TempDir dir;
    auto store = state::SqliteStore::open(dir.path + "/s.sqlite", false);
    REQUIRE(store.ok());
    state::Store& s = **store;
    CHECK(*s.examples_generation() == 0);
    REQUIRE(s.keep_example("a", true, "\x01\x05").ok());
    REQUIRE(s.keep_example("b", false, "\x01\x06").ok());
    CHECK(*s.examples_generation() == 2);
    // Another copy of a learned message changes nothing...
    REQUIRE(s.keep_example("a", true, "\x01\x09").ok());
    CHECK(*s.examples_generation() == 2);
    // ...and moved, it keeps the first copy's features.
    REQUIRE(s.keep_example("a", false, "\x01\x07").ok());
    CHECK(*s.examples_generation() == 3);
    auto examples = s.examples();
    REQUIRE(examples.ok());
    REQUIRE(examples->size() == 2);
    std::sort(examples->begin(), examples->end(),
              [](auto& x, auto& y) { return x.digest < y.digest; });
    CHECK((*examples)[0].digest == "a");
    CHECK(!(*examples)[0].spam);
    CHECK((*examples)[0].features == std::string("\x01\x05"));
    REQUIRE(s.remove_example("a").ok());
    REQUIRE(s.remove_example("never").ok());
    CHECK(s.examples()->size() == 1);
    CHECK(*s.examples_generation() == 4);

    CHECK(!s.model("ngram")->has_value());
    CHECK(!s.model_generation("ngram")->has_value());
    std::string blob("\x00\x01\x02", 3);
    REQUIRE(s.set_model("ngram", blob, 4).ok());
    CHECK(s.model("ngram")->value() == blob);
    CHECK(s.model_generation("ngram")->value() == 4);
    // Too little to fit on is recorded, with no model.
    REQUIRE(s.set_model("ngram", std::nullopt, 5).ok());
    CHECK(!s.model("ngram")->has_value());
    CHECK(s.model_generation("ngram")->value() == 5);
}

TEST_CASE("pruning keeps the examples learned last, of both classes") {
    TempDir dir;
    auto store = state::SqliteStore::open(dir.path + "/s.sqlite", false);
    REQUIRE(store.ok());
    for (int i = 0; i < 20; ++i)
        REQUIRE(
            (*store)
                ->keep_example(fmt::format("d{:02}", i), i % 2 == 0, "\x01\x01")
                .ok());
    state::PruneLimits limits;
    limits.max_examples = 10;
    auto pruned = (*store)->prune(limits);
    REQUIRE(pruned.ok());
    CHECK(pruned->examples == 11);
    CHECK(pruned->examples_left == 9);
    auto left = (*store)->examples();
    REQUIRE(left.ok());
    std::vector<std::string> digests;
    for (auto& e : *left)
        digests.push_back(e.digest);
    std::sort(digests.begin(), digests.end());
    CHECK(digests.front() == "d11");
    CHECK(digests.back() == "d19");
    // Within the limit, nothing goes.
    CHECK((*store)->prune(limits)->examples == 0);
    // A message whose features were pruned, learned again, does not
    // come back as the newest.
    uint64_t generation = *(*store)->examples_generation();
    REQUIRE((*store)->keep_example("d00", true, "\x01\x01").ok());
    REQUIRE((*store)->keep_example("d01", true, "\x01\x01").ok());
    CHECK((*store)->examples()->size() == 9);
    CHECK(*(*store)->examples_generation() == generation);

    // A year of ham learned after the spam: the spam learned first stays
    // at half of what is kept, not none.
    TempDir other;
    auto late = state::SqliteStore::open(other.path + "/s.sqlite", false);
    REQUIRE(late.ok());
    for (int i = 0; i < 25; ++i)
        REQUIRE((*late)
                    ->keep_example(fmt::format("s{:02}", i), true, "\x01\x01")
                    .ok());
    for (int i = 0; i < 25; ++i)
        REQUIRE((*late)
                    ->keep_example(fmt::format("h{:02}", i), false, "\x01\x01")
                    .ok());
    limits.max_examples = 20;
    pruned = (*late)->prune(limits);
    REQUIRE(pruned.ok());
    CHECK(pruned->examples_left == 18);
    left = (*late)->examples();
    auto spam = std::count_if(left->begin(), left->end(),
                              [](auto& e) { return e.spam; });
    CHECK(spam == 9);
    // The spam kept are the last learned.
    for (auto& e : *left)
        if (e.spam)
            CHECK(e.digest >= "s16");
}

TEST_CASE("a database made before models were kept is read and upgraded") {
    TempDir dir;
    std::string path = dir.path + "/spam-score.sqlite";
    run_sql(path, "CREATE TABLE tokens (hash INTEGER PRIMARY KEY, spam "
                  "INTEGER NOT NULL, ham INTEGER NOT NULL, seen INTEGER "
                  "NOT NULL DEFAULT 0);"
                  "CREATE TABLE learned (digest TEXT PRIMARY KEY, spam "
                  "INTEGER NOT NULL);"
                  "CREATE TABLE totals (name TEXT PRIMARY KEY, value "
                  "INTEGER NOT NULL);"
                  "CREATE TABLE signatures (digest TEXT PRIMARY KEY, "
                  "hashes BLOB NOT NULL, seen INTEGER NOT NULL DEFAULT "
                  "0);");
    {
        auto reader = state::SqliteStore::open(path, true);
        REQUIRE(reader.ok());
        auto model = (*reader)->model("ngram");
        REQUIRE(model.ok());
        CHECK(!model->has_value());
        CHECK((*reader)->examples()->empty());
    }
    auto writer = state::SqliteStore::open(path, false);
    REQUIRE(writer.ok());
    REQUIRE((*writer)->keep_example("a", true, "\x01\x01").ok());
    REQUIRE((*writer)->set_model("ngram", std::string("m"), 1).ok());
    CHECK(count_rows(path, "examples") == 1);
    CHECK(count_rows(path, "models") == 1);
}

TEST_CASE("a models table of the first builds gets its generation") {
    TempDir dir;
    std::string path = dir.path + "/spam-score.sqlite";
    {
        auto made = state::SqliteStore::open(path, false);
        REQUIRE(made.ok());
    }
    run_sql(path, "DROP TABLE models; CREATE TABLE models (name TEXT "
                  "PRIMARY KEY, value BLOB NOT NULL); INSERT INTO "
                  "models VALUES ('ngram', x'00')");
    auto writer = state::SqliteStore::open(path, false);
    REQUIRE(writer.ok());
    auto generation = (*writer)->model_generation("ngram");
    REQUIRE(generation.ok());
    // Fitted at no generation the examples ever had.
    CHECK(generation->value() != *(*writer)->examples_generation());
}

TEST_CASE("learning fits the n-gram model and forgetting unfits it") {
    TempDir dir;
    auto [spam, ham] = write_examples(dir);
    Options options = options_with(default_rules, dir.path + "/state");
    config::Config config;
    REQUIRE(learn_files(options, config, spam, true) == ExitCode::ok);
    std::string path = dir.path + "/state/spam-score.sqlite";
    CHECK(count_rows(path, "examples") == 12);
    // One class alone fits nothing.
    CHECK(!has_model(path));

    REQUIRE(learn_files(options, config, ham, false) == ExitCode::ok);
    CHECK(count_rows(path, "examples") == 24);
    std::optional<std::string> fitted = stored_model(path);
    REQUIRE(fitted.has_value());
    auto model = NgramModel::read(*fitted);
    REQUIRE(model.has_value());
    CHECK(model->probability(ngram_features(example_message(true, 50), "")) >
          0.5);

    // Learning the same messages again changes nothing.
    REQUIRE(learn_files(options, config, ham, false) == ExitCode::ok);
    CHECK(stored_model(path) == fitted);

    // So does a copy with fields a hop or a mailbox added, as either
    // class: it keeps the first copy's features.
    std::string copy = dir.path + "/copy.eml";
    std::ofstream(copy) << "X-Virus-Scanned: yes\nStatus: RO\n"
                        << example_message(false, 0);
    REQUIRE(learn_files(options, config, {copy}, false) == ExitCode::ok);
    CHECK(stored_model(path) == fitted);
    REQUIRE(learn_files(options, config, {copy}, true) == ExitCode::ok);
    REQUIRE(learn_files(options, config, {ham[0]}, false) == ExitCode::ok);
    CHECK(stored_model(path) == fitted);

    // Forgetting three ham leaves nine, too few to fit on.
    REQUIRE(learn_files(options, config, {ham[0], ham[1], ham[2]}, false,
                        true) == ExitCode::ok);
    CHECK(count_rows(path, "examples") == 21);
    CHECK(!has_model(path));
}

TEST_CASE("scoring names the n-gram band when Bayes has learned enough") {
    TempDir dir;
    auto [spam, ham] = write_examples(dir);
    std::ofstream(dir.path + "/p.toml")
        << "[spam-score]\nbayes.min_learned = 10\n";
    auto loaded = config::load(dir.path + "/p.toml", true);
    REQUIRE(loaded.ok());
    Options options = options_with(default_rules, dir.path + "/state");
    REQUIRE(learn_files(options, *loaded, spam, true) == ExitCode::ok);
    REQUIRE(learn_files(options, *loaded, ham, false) == ExitCode::ok);

    auto engine = open_engine(options, *loaded);
    auto score = engine->score(example_message(true, 77));
    REQUIRE(score.ok());
    REQUIRE(score->ngram.has_value());
    CHECK(*score->ngram > 0.5);
    CHECK(fired(*score, ngram_rule(*score->ngram)));
    auto plain = engine->score(example_message(false, 77));
    REQUIRE(plain.ok());
    CHECK(*plain->ngram < 0.5);

    // Without Bayes, no n-gram model either.
    options.use_bayes = false;
    auto without = open_engine(options, *loaded);
    auto alone = without->score(example_message(true, 77));
    REQUIRE(alone.ok());
    CHECK(!alone->ngram.has_value());
}

TEST_CASE("damaged features are dropped, and learning them again mends") {
    TempDir dir;
    auto [spam, ham] = write_examples(dir);
    Options options = options_with(default_rules, dir.path + "/state");
    config::Config config;
    REQUIRE(learn_files(options, config, spam, true) == ExitCode::ok);
    REQUIRE(learn_files(options, config, ham, false) == ExitCode::ok);
    std::string path = dir.path + "/state/spam-score.sqlite";
    run_sql(path, "UPDATE examples SET features = x'09ff' WHERE rowid "
                  "= (SELECT min(rowid) FROM examples)");
    // The next fit drops it...
    std::string extra = dir.path + "/extra.eml";
    std::ofstream(extra) << example_message(true, 40);
    REQUIRE(learn_files(options, config, {extra}, true) == ExitCode::ok);
    CHECK(count_rows(path, "examples") == 24);
    // ...and its message, learned again, has its features back.
    REQUIRE(learn_files(options, config, {spam[0]}, true) == ExitCode::ok);
    CHECK(count_rows(path, "examples") == 25);
    CHECK(has_model(path));
}
