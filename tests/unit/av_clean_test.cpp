// Cleaning by splicing: only the removed part's bytes change, in the
// message's own line endings, and quarantine names are safe.
#include "av_actions.hpp"
#include "temp_dir.hpp"

#include <sys/resource.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>

using namespace portcullis;

namespace {

const std::string mixed = "Subject: x\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n"
                          "\r\n"
                          "--b\r\n"
                          "\r\n"
                          "keep me\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream; "
                          "name=bad.com\r\n"
                          "\r\n"
                          "BAD\r\n"
                          "--b\r\n"
                          "\r\n"
                          "keep me too\r\n"
                          "--b--\r\n";

} // namespace

TEST_CASE("clean replaces one part and keeps every other byte") {
    auto tree = mime::lenient::parse(mixed, {});
    REQUIRE(tree.parts.size() == 4);
    auto out = av::clean_message(mixed, tree, {{2, "infected (Test)"}});
    REQUIRE(out.ok());
    std::string expected =
        mixed.substr(0, mixed.find("Content-Type: application")) +
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Disposition: inline\r\n\r\n"
        "This part was removed by av-scan.\r\n"
        "Part: 1.2\r\nFile: bad.com\r\nReason: infected (Test)" +
        mixed.substr(mixed.find("\r\n--b\r\n\r\nkeep me too"));
    CHECK(*out == expected);
}

TEST_CASE("clean writes LF line ends into an LF message") {
    std::string lf;
    for (char c : mixed) {
        if (c != '\r')
            lf += c;
    }
    auto tree = mime::lenient::parse(lf, {});
    auto out = av::clean_message(lf, tree, {{2, "infected (Test)"}});
    REQUIRE(out.ok());
    CHECK(out->find('\r') == std::string::npos);
    CHECK(out->find("keep me too\n--b--\n") != std::string::npos);
}

TEST_CASE("clean cuts a uuencoded block out of the text around it") {
    std::string text = "Subject: x\n\nbefore\nbegin 644 a.com\n"
                       "#0D%$\n`\nend\nafter\n";
    auto tree = mime::lenient::parse(text, {});
    REQUIRE(tree.parts.size() == 2);
    auto out = av::clean_message(text, tree, {{1, "infected (Test)"}});
    REQUIRE(out.ok());
    CHECK(out->find("before\nThis part was removed by av-scan.\n") !=
          std::string::npos);
    CHECK(out->find("begin 644") == std::string::npos);
    CHECK(out->substr(out->size() - 6) == "after\n");
}

TEST_CASE("a single-part message keeps its other headers and becomes a "
          "text part with the notice") {
    std::string text = "Subject: x\nContent-Transfer-Encoding: base64\n\n"
                       "QkFE\n";
    auto tree = mime::lenient::parse(text, {});
    auto out = av::clean_message(text, tree, {{0, "infected (Test)"}});
    REQUIRE(out.ok());
    CHECK(out->rfind("Subject: x\nContent-Type: text/plain; charset=us-ascii\n"
                     "Content-Transfer-Encoding: 7bit\n"
                     "Content-Disposition: inline\n\n",
                     0) == 0);
    auto again = mime::lenient::parse(*out, {});
    CHECK(again.parts[0].decoded.rfind("This part was removed", 0) == 0);
}

TEST_CASE("quarantine names keep no path separators or leading dots") {
    CHECK(av::sanitise_id("../../etc/passwd") == "_.._etc_passwd");
    CHECK(av::sanitise_id("") == "message");
    CHECK(av::sanitise_id("...") == "message");
    CHECK(av::sanitise_id("-") == "message");
    CHECK(av::sanitise_id("--x") == "x");
    CHECK(av::sanitise_id("a b\nc") == "a_b_c");
    CHECK(av::sanitise_id(std::string(300, 'x')).size() == 80);
}

// A full disk used to leave the .eml in the quarantine with no .json
// beside it, one more with each retry. RLIMIT_FSIZE fails the larger
// .json write the way a full disk would.
TEST_CASE("quarantine leaves nothing behind when the json cannot be "
          "written") {
    testing::TempDir state;
    std::string message = "Subject: x\r\n\r\nbody\r\n";
    nlohmann::ordered_json record{{"envelope", {{"id", "q1"}}},
                                  {"note", std::string(64 * 1024, 'x')}};
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto held = av::quarantine(state.path, "q1", message, record);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);

    REQUIRE_FALSE(held);
    CHECK(held.error().exit_code == ExitCode::temp_fail);
    CHECK(held.error().message == std::strerror(EFBIG));
    std::vector<std::string> left;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(state.path))
        if (entry.is_regular_file())
            left.push_back(entry.path().string());
    CHECK(left.empty());

    // With room again, both files appear together.
    auto again = av::quarantine(state.path, "q1", message, record);
    REQUIRE(again);
    CHECK(std::filesystem::file_size(*again) == message.size());
    std::string json = again->substr(0, again->size() - 4) + ".json";
    CHECK(std::filesystem::file_size(json) == record.dump(2).size() + 1);
}
