// The stream format: envelopes are validated, records round-trip, and a
// truncated record is an error naming where it is.
#include "core/stream.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace portcullis;

namespace {

// Feeds text through a pipe so the reader sees a real descriptor.
std::vector<Result<std::optional<stream::Record>>>
read_all(const std::string& text, const Limits& limits = {}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    ByteReader input(fds[0], "-");
    stream::Reader reader(input, limits);
    std::vector<Result<std::optional<stream::Record>>> out;
    for (;;) {
        auto next = reader.next();
        bool stop = !next || !*next;
        out.push_back(std::move(next));
        if (stop)
            break;
    }
    ::close(fds[0]);
    return out;
}

} // namespace

TEST_CASE("a record round-trips with unknown fields kept in order") {
    std::string text = "{\"portcullis\":1,\"size\":5,\"zz\":1,\"id\":\"q1\"}\n"
                       "hello";
    auto records = read_all(text);
    REQUIRE(records.size() == 2);
    REQUIRE(records[0].ok());
    stream::Record& record = **records[0];
    CHECK(record.id() == "q1");
    CHECK(record.message == "hello");
    CHECK(stream::serialize(record) == text);
}

TEST_CASE("a truncated message names the record and offset") {
    auto records = read_all("{\"portcullis\":1,\"size\":2}\nab"
                            "{\"portcullis\":1,\"size\":10}\nabc");
    REQUIRE(records.size() == 2);
    REQUIRE(!records[1].ok());
    CHECK(records[1].error().text() ==
          "-: record 2 at offset 28: truncated: expected 10 bytes, got 3");
}

TEST_CASE("a wrongly typed envelope field marks its record, which is "
          "still read") {
    auto records =
        read_all("{\"portcullis\":1,\"size\":2,\"rcpt\":[\"a@x.org\"]}\nab"
                 "{\"portcullis\":1,\"size\":3,\"rcpt\":\"b@x.org\"}\ncde"
                 "{\"portcullis\":1,\"size\":1}\nf");
    REQUIRE(records.size() == 4);
    REQUIRE(records[1].ok());
    const stream::Record& bad = **records[1];
    REQUIRE(bad.bad_envelope);
    CHECK(bad.bad_envelope->text() ==
          "-: record 2 at offset 47: \"rcpt\" is not a list");
    CHECK(bad.bad_envelope->exit_code == ExitCode::data_error);
    CHECK(bad.message == "cde");
    CHECK_FALSE((*records[0])->bad_envelope);
    CHECK((*records[2])->message == "f");
    CHECK_FALSE((*records[2])->bad_envelope);
}

TEST_CASE("check_fields names the first field of the wrong type") {
    auto check = [](const char* json) {
        Status s = stream::check_fields(nlohmann::ordered_json::parse(json));
        return s ? std::string("ok") : s.error().message;
    };
    CHECK(check(R"({"mail_from":"","rcpt":[],"client":{"ip":"::1"}})") == "ok");
    CHECK(check(R"({"mail_from":5})") == R"("mail_from" is not a string)");
    CHECK(check(R"({"mail_from":null})") == R"("mail_from" is not a string)");
    CHECK(check(R"({"rcpt":"b@x.org"})") == R"("rcpt" is not a list)");
    CHECK(check(R"({"rcpt":["b@x.org",5]})") == R"("rcpt[1]" is not a string)");
    CHECK(check(R"({"id":1})") == R"("id" is not a string)");
    CHECK(check(R"({"source":[]})") == R"("source" is not a string)");
    CHECK(check(R"({"received":0})") == R"("received" is not a string)");
    CHECK(check(R"({"client":"1.2.3.4"})") == R"("client" is not an object)");
    CHECK(check(R"({"client":{"ip":1}})") == R"("client.ip" is not a string)");
    CHECK(check(R"({"x-unknown":5,"client":{"port":25}})") == "ok");
}

TEST_CASE("earlier verdicts must say who decided what") {
    auto check = [](const char* json) {
        Status s = stream::check_fields(nlohmann::ordered_json::parse(json));
        return s ? std::string("ok") : s.error().message;
    };
    const std::string actions =
        " is not tempfail, reject, discard, quarantine, redirect, folder, "
        "tag or pass";
    CHECK(check(R"({"verdicts":[]})") == "ok");
    CHECK(check(R"({"verdicts":[{"tool":"av-scan","action":"pass",
        "rcpt":{"b@x.org":{"action":"reject"}},"x":1}]})") == "ok");
    CHECK(check(R"({"verdicts":[1]})") == R"("verdicts[0]" is not an object)");
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"pass"},null]})") ==
          R"("verdicts[1]" is not an object)");
    CHECK(check(R"({"verdicts":[{"action":"pass"}]})") ==
          R"("verdicts[0].tool" is missing)");
    CHECK(check(R"({"verdicts":[{"tool":5,"action":"pass"}]})") ==
          R"("verdicts[0].tool" is not a string)");
    CHECK(check(R"({"verdicts":[{"tool":"a"}]})") ==
          R"("verdicts[0].action" is missing)");
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"nuke"}]})") ==
          R"("verdicts[0].action")" + actions);
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"Reject"}]})") ==
          R"("verdicts[0].action")" + actions);
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"pass","rcpt":[]}]})") ==
          R"("verdicts[0].rcpt" is not an object)");
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"pass",
        "rcpt":{"b@x.org":"reject"}}]})") ==
          R"("verdicts[0].rcpt[0]" is not an object)");
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"pass",
        "rcpt":{"b@x.org":{"action":5}}}]})") ==
          R"("verdicts[0].rcpt[0].action" is not a string)");
    CHECK(check(R"({"verdicts":[{"tool":"a","action":"pass",
        "rcpt":{"b@x.org":{"action":"tag"},"c@x.org":{}}}]})") ==
          R"("verdicts[0].rcpt[1].action" is missing)");
}

TEST_CASE("earlier verdicts with fields of the wrong type are refused") {
    auto check = [](const std::string& fields) {
        auto envelope = nlohmann::ordered_json::parse(
            R"({"verdicts":[{"tool":"a","action":"pass",)" + fields + "}]}");
        Status s = stream::check_fields(envelope);
        return s ? std::string("ok") : s.error().message;
    };
    CHECK(check(R"("version":"1","score":-2.5,"elapsed_us":0,"x":[5])") ==
          "ok");
    CHECK(check(R"("reasons":5)") == R"("verdicts[0].reasons" is not a list)");
    CHECK(check(R"("reasons":[{"id":"R","score":1,"text":"t"},"R2"])") ==
          R"("verdicts[0].reasons[1]" is not an object)");
    CHECK(check(R"("reasons":[{"id":5}])") ==
          R"("verdicts[0].reasons[0].id" is not a string)");
    CHECK(check(R"("reasons":[{"id":"R","score":"3.5"}])") ==
          R"("verdicts[0].reasons[0].score" is not a number)");
    CHECK(check(R"("reasons":[{"id":"R","text":null}])") ==
          R"("verdicts[0].reasons[0].text" is not a string)");
    CHECK(check(R"("anomalies":"x")") ==
          R"("verdicts[0].anomalies" is not a list)");
    CHECK(check(R"("anomalies":[{"id":["MIME_X"]}])") ==
          R"("verdicts[0].anomalies[0].id" is not a string)");
    CHECK(check(R"("parts":[{"content_type":"text/plain"},7])") ==
          R"("verdicts[0].parts[1]" is not an object)");
    CHECK(check(R"("parts":{"attachment":true})") ==
          R"("verdicts[0].parts" is not a list)");
    CHECK(check(R"("parts":[{"attachment":"yes"}])") ==
          R"("verdicts[0].parts[0].attachment" is not true or false)");
    CHECK(check(R"("parts":[{"filename":5}])") ==
          R"("verdicts[0].parts[0].filename" is not a string)");
    CHECK(check(R"("effects":{"copy":1})") ==
          R"("verdicts[0].effects" is not a list)");
    CHECK(check(R"("effects":["copied"])") ==
          R"("verdicts[0].effects[0]" is not an object)");
    CHECK(check(R"("version":1)") ==
          R"("verdicts[0].version" is not a string)");
    CHECK(check(R"("score":"8.1")") ==
          R"("verdicts[0].score" is not a number)");
    CHECK(check(R"("elapsed_us":-1)") ==
          R"("verdicts[0].elapsed_us" is not a non-negative integer)");
    CHECK(check(R"("elapsed_us":1.5)") ==
          R"("verdicts[0].elapsed_us" is not a non-negative integer)");
}

TEST_CASE("a wrong type in any verdict is named before a missing decision") {
    Status s = stream::check_verdicts(nlohmann::ordered_json::parse(
        R"({"verdicts":[{"tool":"a"},{"tool":"b","action":"pass",)"
        R"("reasons":{}}]})"));
    REQUIRE_FALSE(s);
    CHECK(s.error().message == R"("verdicts[1].reasons" is not a list)");
    CHECK(stream::check_verdicts(
              nlohmann::ordered_json::parse(R"({"verdicts":"none"})"))
              .error()
              .message == R"("verdicts" is not a list)");
}

TEST_CASE("an envelope without size is refused") {
    auto records = read_all("{\"portcullis\":1}\n");
    REQUIRE(!records[0].ok());
    CHECK(records[0].error().text() ==
          "-: record 1 at offset 0: envelope lacks \"size\"");
}

TEST_CASE("a garbled envelope is refused, not guessed at") {
    auto records = read_all("{\"portcullis\":1,\"size\":3\nabc");
    REQUIRE(!records[0].ok());
    CHECK(records[0].error().message == "envelope is not valid JSON");
}

TEST_CASE("an envelope that gives a key twice is garbled") {
    // One reader would frame the record by the first size, another by
    // the last; a verdict could read as reject to one and pass to another.
    for (const char* line :
         {"{\"portcullis\":1,\"size\":3,\"size\":300}\nabc",
          "{\"portcullis\":1,\"size\":3,\"verdicts\":[{\"tool\":\"x\","
          "\"action\":\"reject\",\"action\":\"pass\"}]}\nabc"}) {
        auto records = read_all(line);
        REQUIRE(!records[0].ok());
        CHECK(records[0].error().message ==
              "envelope gives a key twice in one object");
    }
}

TEST_CASE("a record over the size limit comes unread, and the next one "
          "is read after it") {
    Limits limits;
    limits.message_bytes = 4;
    auto records = read_all(
        "{\"portcullis\":1,\"size\":5}\nhello{\"portcullis\":1,\"size\":2}\nhi",
        limits);
    REQUIRE(records.size() == 3);
    REQUIRE(records[0].ok());
    CHECK((*records[0])->unread == 5);
    CHECK((*records[0])->message.empty());
    REQUIRE(records[1].ok());
    CHECK((*records[1])->message == "hi");
    CHECK((*records[1])->unread == 0);
}

TEST_CASE("the unread bytes of a record over the limit are copied in "
          "pieces") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string text = "{\"portcullis\":1,\"size\":6}\nhello!";
    REQUIRE(::write(fds[1], text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    ByteReader input(fds[0], "-");
    Limits limits;
    limits.message_bytes = 1;
    stream::Reader reader(input, limits);
    auto record = reader.next();
    REQUIRE(record.ok());
    std::string copied;
    REQUIRE(reader.copy_unread([&](std::string_view piece) { copied += piece; })
                .ok());
    CHECK(copied == "hello!");
    auto end = reader.next();
    REQUIRE(end.ok());
    CHECK(!end->has_value());
    ::close(fds[0]);
}

TEST_CASE("a record over the limit cut short names the record, its offset "
          "and its size") {
    Limits limits;
    limits.message_bytes = 4;
    // More than one piece of the copy, and less than the size says.
    std::string text = "{\"portcullis\":1,\"size\":2}\nab"
                       "{\"portcullis\":1,\"size\":1000000}\n" +
                       std::string(300 * 1024, 'x');
    const std::string want = "-: record 2 at offset 28: truncated: expected "
                             "1000000 bytes, got 307200";
    char path[] = "/tmp/portcullis-stream-test.XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    REQUIRE(::write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    for (bool copied : {true, false}) {
        REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
        ByteReader input(fd, "-");
        stream::Reader reader(input, limits);
        REQUIRE(reader.next().ok());
        auto big = reader.next();
        REQUIRE(big.ok());
        CHECK((*big)->unread == 1000000);
        if (copied) {
            Status cut = reader.copy_unread([](std::string_view) {});
            REQUIRE(!cut.ok());
            CHECK(cut.error().text() == want);
        } else {
            auto next = reader.next();
            REQUIRE(!next.ok());
            CHECK(next.error().text() == want);
        }
    }
    ::close(fd);
}

TEST_CASE("an unknown format version is refused") {
    auto records = read_all("{\"portcullis\":2,\"size\":0}\n");
    REQUIRE(!records[0].ok());
    CHECK(records[0].error().message == "unsupported format version 2");
}

TEST_CASE("path_id keeps a UTF-8 path and escapes every other byte") {
    using stream::path_id;
    CHECK(path_id("box/m1.eml") == "box/m1.eml");
    CHECK(path_id("Posteingang/Grüße €.eml") == "Posteingang/Grüße €.eml");
    CHECK(path_id("new/1.M2P3.host:2,S") == "new/1.M2P3.host:2,S");
    CHECK(path_id("a\nb\x1b") == "a\nb\x1b"); // JSON escapes these itself
    CHECK(path_id("m\xff") == "m\\xff");
    CHECK(path_id("m\xfe") == "m\\xfe");
    CHECK(path_id("\x80\xc3") == "\\x80\\xc3");
    // Latin-1 "é", an overlong "/", a UTF-16 surrogate in UTF-8 and a
    // cut sequence are no UTF-8 characters.
    CHECK(path_id("caf\xe9.eml") == "caf\\xe9.eml");
    CHECK(path_id("\xc0\xaf") == "\\xc0\\xaf");
    CHECK(path_id("\xed\xa0\x80") == "\\xed\\xa0\\x80");
    CHECK(path_id("x\xe2\x82") == "x\\xe2\\x82");
}

TEST_CASE("path_id doubles a backslash so that every id is one path") {
    using stream::path_id;
    CHECK(path_id("a\\b") == "a\\\\b");
    // A name that spells "\xff" and a name holding that byte differ.
    CHECK(path_id("m\\xff") == "m\\\\xff");
    CHECK(path_id("m\xff") == "m\\xff");
    CHECK(path_id("\\\xff") == "\\\\\\xff");
}
