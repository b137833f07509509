// Message sources: mbox separators, >From unquoting, Maildirs and folders.
#include "core/source.hpp"
#include "mail/envelope.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace portcullis;
using portcullis::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<stream::Record>
read_inputs(std::vector<std::string> paths,
            source::MboxVariant variant = source::MboxVariant::mboxrd) {
    Limits limits;
    source::Inputs inputs(std::move(paths), limits, variant);
    std::vector<stream::Record> out;
    for (;;) {
        auto next = inputs.next();
        REQUIRE(next.ok());
        if (!*next)
            return out;
        out.push_back(std::move(**next));
    }
}

// What a walk over paths came to: the records read and the errors met,
// each in order.
struct Walk {
    std::vector<stream::Record> records;
    std::vector<Error> errors;
};

Walk walk(std::vector<std::string> paths, bool follow_links = false) {
    Limits limits;
    source::Inputs inputs(std::move(paths), limits);
    if (follow_links)
        inputs.follow_links();
    Walk out;
    for (;;) {
        auto next = inputs.next();
        if (!next) {
            out.errors.push_back(next.error());
            continue;
        }
        if (!*next)
            return out;
        out.records.push_back(std::move(**next));
    }
}

constexpr const char* not_followed =
    "a symbolic link, not followed (--follow-links reads it)";

} // namespace

TEST_CASE("a separator needs an address and a date") {
    CHECK(source::is_mbox_separator(
        "From exmh@example.com  Thu Aug 22 12:36:23 2002\n"));
    CHECK(source::is_mbox_separator("From - Mon Jan  1 00:00 2024\r\n"));
    CHECK_FALSE(source::is_mbox_separator("From here on we agree.\n"));
    CHECK_FALSE(source::is_mbox_separator("From: a@example.com\n"));
    CHECK_FALSE(source::is_mbox_separator("From me at 10:30 today\n"));
}

TEST_CASE("mboxrd unquotes every level, mboxo only one") {
    std::string line = ">>From here\n";
    source::unquote_from(line, source::MboxVariant::mboxrd);
    CHECK(line == ">From here\n");
    line = ">>From here\n";
    source::unquote_from(line, source::MboxVariant::mboxo);
    CHECK(line == ">>From here\n");
    line = ">From here\n";
    source::unquote_from(line, source::MboxVariant::mboxo);
    CHECK(line == "From here\n");
}

TEST_CASE("an mbox splits at separators after a blank line, and at "
          "asctime's form anywhere") {
    TempDir dir;
    std::string mbox =
        dir.write("box", "From a@example.org Thu Aug 22 12:36:23 2002\n"
                         "Subject: one\n\nbody\nFrom a@example.org on 22 "
                         "Aug 2002 12:36\nstill one\n>From quoted\n\n"
                         "From b@example.org Fri Aug 23 01:02:03 2002\n"
                         "Subject: two\n\nbody two\n"
                         "From c@example.org Sat Aug 24 01:02:03 2002\n"
                         "Subject: three\n\nbody three\n\n");
    auto records = read_inputs({mbox});
    REQUIRE(records.size() == 3);
    CHECK(records[0].message ==
          "Subject: one\n\nbody\nFrom a@example.org on 22 Aug 2002 "
          "12:36\nstill one\nFrom quoted\n");
    // A writer quotes a From_ line in a body: one in asctime()'s form
    // with no blank line before it starts a message (break test: it
    // swallowed the next message, unscanned).
    CHECK(records[1].message == "Subject: two\n\nbody two\n");
    // The blank line that ends the last message is the mbox's, as the
    // one before each separator is.
    CHECK(records[2].message == "Subject: three\n\nbody three\n");
    CHECK(records[0].id() == mbox + ":1");
    CHECK(records[1].id() == mbox + ":2");
    CHECK(records[2].id() == mbox + ":3");
    CHECK(source::is_ctime_mbox_separator(
        "From MAILER-DAEMON Fri Aug 23 01:02:03 2002\r\n"));
    CHECK_FALSE(
        source::is_ctime_mbox_separator("From Mr. Smith at 10:30 in 2002\n"));
}

TEST_CASE("an mbox may open with blank lines; a file of one message "
          "holding From_ lines is read whole") {
    TempDir dir;
    std::string mbox = dir.write(
        "box", "\n\r\nFrom a@example.org Thu Aug 22 12:36:23 2002\n"
               "Subject: one\n\n"
               "From b@example.org Fri Aug 23 01:02:03 2002\nSubject: two\n");
    auto records = read_inputs({mbox});
    REQUIRE(records.size() == 2);
    CHECK(records[0].message == "Subject: one\n");
    std::string one = dir.write(
        "one", "From MAILER-DAEMON\nSubject: one\n\n"
               "From b@example.org Fri Aug 23 01:02:03 2002\nSubject: two\n");
    records = read_inputs({one});
    REQUIRE(records.size() == 1);
    CHECK(records[0].message.starts_with("From MAILER-DAEMON\n"));
}

TEST_CASE("a saved stream is read as one only where it is named") {
    TempDir dir;
    std::string text = "{\"portcullis\":1,\"size\":9,\"id\":\"x\","
                       "\"verdicts\":[]}\nSubject:\n";
    std::string saved = dir.write("saved", text);
    auto records = read_inputs({saved});
    REQUIRE(records.size() == 1);
    CHECK(records[0].id() == "x");
    // Found in a folder, a file is a message: its first line is its
    // sender's, and would forge an envelope (break test).
    records = read_inputs({dir.path});
    REQUIRE(records.size() == 1);
    CHECK(records[0].id() == saved);
    CHECK(records[0].message == text);
}

TEST_CASE("a single file with a leading From_ line loses only that line") {
    TempDir dir;
    std::string file =
        dir.write("00001.txt", "From x@example.org  Thu Aug 22 12:36:23 2002\n"
                               "Subject: hi\n\nbody\n");
    auto records = read_inputs({file});
    REQUIRE(records.size() == 1);
    CHECK(records[0].id() == file);
    CHECK(records[0].message == "Subject: hi\n\nbody\n");
}

TEST_CASE("a Maildir yields new and cur in order and skips tmp") {
    TempDir dir;
    dir.write("md/cur/2", "Subject: b\n\n");
    dir.write("md/new/1", "Subject: c\n\n");
    dir.write("md/tmp/0", "Subject: partial\n\n");
    dir.write("md/.hidden", "x");
    auto records = read_inputs({dir.path + "/md"});
    REQUIRE(records.size() == 2);
    CHECK(records[0].message == "Subject: c\n\n");
    CHECK(records[1].message == "Subject: b\n\n");
}

// A mail program that shows new mail moves it from new/ to cur/, adding
// flags to its name, while a batch scan walks the Maildir. 14,446 of
// 40,000 messages so moved were lost, each an error.
TEST_CASE("a message moved from new to cur during a walk is read once") {
    TempDir dir;
    dir.write("md/new/1", "Subject: one\n\n");
    dir.write("md/new/2", "Subject: two\n\n");
    dir.write("md/cur/0:2,S", "Subject: old\n\n");
    Limits limits;
    source::Inputs inputs({dir.path + "/md"}, limits,
                          source::MboxVariant::mboxrd);
    std::vector<std::string> ids;
    auto next = inputs.next();
    REQUIRE(next.ok());
    REQUIRE(*next);
    ids.push_back((*next)->id());
    // new/ is listed and its first message read: both move now.
    std::filesystem::rename(dir.path + "/md/new/1", dir.path + "/md/cur/1:2,S");
    std::filesystem::rename(dir.path + "/md/new/2",
                            dir.path + "/md/cur/2:2,RS");
    for (;;) {
        next = inputs.next();
        REQUIRE(next.ok());
        if (!*next)
            break;
        ids.push_back((*next)->id());
    }
    CHECK(ids == std::vector<std::string>{dir.path + "/md/new/1",
                                          dir.path + "/md/cur/0:2,S",
                                          dir.path + "/md/cur/2:2,RS"});
}

TEST_CASE("a Maildir's own files beside cur and new are never mail") {
    TempDir dir;
    dir.write("md/cur/1:2,S", "Subject: read\n\n");
    dir.write("md/new/2", "Subject: unread\n\n");
    dir.write("md/tmp/3", "Subject: partial\n\n");
    dir.write("md/dovecot-uidlist", "3 V1 N3\n");
    dir.write("md/dovecot.index", std::string("\x07\x02\x00\x00", 4));
    dir.write("md/maildirsize", "1000000S\n120 2\n");
    dir.write("md/subscriptions", "Junk\n");
    dir.write("md/courierimapkeywords/:list", "$Junk\n");
    dir.write("md/.Junk/cur/4", "Subject: junk\n\n");
    auto records = read_inputs({dir.path + "/md"});
    REQUIRE(records.size() == 2);
    CHECK(records[0].id() == dir.path + "/md/new/2");
    CHECK(records[1].id() == dir.path + "/md/cur/1:2,S");
    // A Maildir++ subfolder is read when it is named.
    auto junk = read_inputs({dir.path + "/md/.Junk"});
    REQUIRE(junk.size() == 1);
    CHECK(junk[0].message == "Subject: junk\n\n");
}

TEST_CASE("a Maildir that lost its empty new and tmp is still one") {
    // A restore from a backup that keeps no empty folders: the mail
    // server's files were read as mail (break test).
    TempDir dir;
    dir.write("md/cur/1:2,S", "Subject: read\n\n");
    dir.write("md/dovecot-uidlist", "3 V1 N3\n");
    dir.write("md/maildirsize", "1000000S\n120 2\n");
    auto records = read_inputs({dir.path + "/md"});
    REQUIRE(records.size() == 1);
    CHECK(records[0].id() == dir.path + "/md/cur/1:2,S");
}

TEST_CASE("a missing path is an error and the walk goes on") {
    TempDir dir;
    std::string good = dir.write("ok.eml", "Subject: ok\n\n");
    Limits limits;
    source::Inputs inputs({dir.path + "/missing", good}, limits);
    auto first = inputs.next();
    REQUIRE(!first.ok());
    CHECK(first.error().message == "No such file or directory");
    CHECK(first.error().exit_code == ExitCode::no_input);
    auto second = inputs.next();
    REQUIRE(second.ok());
    REQUIRE(*second);
    CHECK((*second)->message == "Subject: ok\n\n");
}

TEST_CASE("a symlink cycle in a folder is walked once when followed") {
    TempDir dir;
    dir.write("top/a.eml", "Subject: a\n\n");
    fs::create_directory_symlink(dir.path + "/top", dir.path + "/top/loop");
    Walk followed = walk({dir.path + "/top"}, true);
    CHECK(followed.errors.empty());
    REQUIRE(followed.records.size() == 1);
    CHECK(followed.records[0].message == "Subject: a\n\n");
}

TEST_CASE("a symlink in a Maildir is an input error unless followed") {
    TempDir dir;
    std::string secret = dir.write("outside/secret", "Subject: secret\n\n");
    dir.write("md/new/1.eml", "Subject: mine\n\n");
    dir.write("md/cur/.keep", "");
    fs::create_directory(dir.path + "/md/tmp");
    fs::create_symlink(secret, dir.path + "/md/new/2.eml");

    Walk plain = walk({dir.path + "/md"});
    REQUIRE(plain.records.size() == 1);
    CHECK(plain.records[0].message == "Subject: mine\n\n");
    REQUIRE(plain.errors.size() == 1);
    CHECK(plain.errors[0].text() ==
          dir.path + "/md/new/2.eml: " + not_followed);
    CHECK(plain.errors[0].exit_code == ExitCode::no_input);

    Walk followed = walk({dir.path + "/md"}, true);
    CHECK(followed.errors.empty());
    REQUIRE(followed.records.size() == 2);
    CHECK(followed.records[1].message == "Subject: secret\n\n");
}

TEST_CASE("a linked subfolder is not walked unless links are followed") {
    TempDir dir;
    dir.write("top/a.eml", "Subject: a\n\n");
    dir.write("elsewhere/b.eml", "Subject: b\n\n");
    fs::create_directory_symlink(dir.path + "/elsewhere",
                                 dir.path + "/top/sub");

    Walk plain = walk({dir.path + "/top"});
    REQUIRE(plain.records.size() == 1);
    CHECK(plain.records[0].message == "Subject: a\n\n");
    REQUIRE(plain.errors.size() == 1);
    CHECK(plain.errors[0].text() == dir.path + "/top/sub: " + not_followed);

    Walk followed = walk({dir.path + "/top"}, true);
    CHECK(followed.errors.empty());
    REQUIRE(followed.records.size() == 2);
    CHECK(followed.records[1].id() == dir.path + "/top/sub/b.eml");
}

TEST_CASE("a symlink named on the command line is followed") {
    TempDir dir;
    std::string file = dir.write("real/a.eml", "Subject: a\n\n");
    fs::create_symlink(file, dir.path + "/a-link.eml");
    fs::create_directory_symlink(dir.path + "/real", dir.path + "/real-link");
    Walk named = walk({dir.path + "/a-link.eml", dir.path + "/real-link"});
    CHECK(named.errors.empty());
    REQUIRE(named.records.size() == 2);
    CHECK(named.records[0].message == "Subject: a\n\n");
    CHECK(named.records[1].id() == dir.path + "/real-link/a.eml");
}

TEST_CASE("a folder swapped for a link during the walk is read where it was") {
    TempDir dir;
    dir.write("top/a.eml", "Subject: a\n\n");
    dir.write("top/b.eml", "Subject: b\n\n");
    dir.write("planted/b.eml", "Subject: planted\n\n");
    Limits limits;
    source::Inputs inputs({dir.path + "/top"}, limits);
    auto first = inputs.next();
    REQUIRE(first.ok());
    REQUIRE(*first);
    CHECK((*first)->message == "Subject: a\n\n");

    // The folder's owner moves it away and links its name elsewhere.
    fs::rename(dir.path + "/top", dir.path + "/moved");
    fs::create_directory_symlink(dir.path + "/planted", dir.path + "/top");
    auto second = inputs.next();
    REQUIRE(second.ok());
    REQUIRE(*second);
    CHECK((*second)->message == "Subject: b\n\n");
}

TEST_CASE("an archived message's arrival is its top Received field's date, "
          "else its Date's") {
    CHECK(mail::header_arrival_time(
              "Received: from a by mx.example.org; Thu, 22 Aug 2002 "
              "12:36:16 +0100\r\nReceived: from b by c; Wed, 21 Aug 2002 "
              "01:00:00 +0000\r\nDate: Tue, 20 Aug 2002 10:00:00 +0000\r\n"
              "\r\nbody\r\n") == "2002-08-22T11:36:16Z");
    CHECK(mail::header_arrival_time(
              "Received: from a by b (no date)\nDate: Tue, 20 Aug 2002 "
              "10:00:00 -0230\n\n") == "2002-08-20T12:30:00Z");
    // A comment after the date may hold a ';' (second break test).
    CHECK(mail::header_arrival_time(
              "Received: from a (x; y) by b; 22 Aug 2002 12:36:23 +0000 "
              "(comment; x)\nDate: Tue, 20 Aug 2002 10:00:00 +0000\n\n") ==
          "2002-08-22T12:36:23Z");
    // No date, or one no arrival can have, gives none.
    CHECK(!mail::header_arrival_time("Subject: x\n\n"));
    CHECK(
        !mail::header_arrival_time("Date: Thu, 1 Jan 1970 00:00:00 +0000\n\n"));
    CHECK(!mail::header_arrival_time("Date: yesterday\n\n"));
    CHECK(
        !mail::header_arrival_time("Date: Fri, 1 Jan 9999 00:00:00 +0000\n\n"));
    // GMime read the year 0000 as 2000 and refused a leap second, so the
    // top Received date gave way to Date's (a new-user break test).
    CHECK(
        !mail::header_arrival_time("Date: Mon, 1 Jan 0000 00:00:00 +0100\n\n"));
    CHECK(mail::header_arrival_time(
              "Received: from a by b; Sat, 31 Dec 2016 23:59:60 +0000\n"
              "Date: Tue, 20 Dec 2016 10:00:00 +0000\n\n") ==
          "2016-12-31T23:59:59Z");
    // Seconds with a fraction were read as midnight, the zone applied.
    CHECK(mail::header_arrival_time(
              "Received: from a by b; Mon, 1 Jan 2024 01:00:00.5 +0500\n"
              "Date: Mon, 1 Jan 2024 02:00:00 +0000\n\n") ==
          "2024-01-01T02:00:00Z");
}
