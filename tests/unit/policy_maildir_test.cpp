// Maildir delivery: atomic, unique, and refusing rather than losing.
#include "core/maildir.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace portcullis;

namespace {

std::string temp_dir() {
    char path[] = "/tmp/portcullis-maildir-XXXXXX";
    REQUIRE(::mkdtemp(path) != nullptr);
    return path;
}

size_t count_files(const std::string& dir) {
    size_t count = 0;
    DIR* handle = ::opendir(dir.c_str());
    REQUIRE(handle != nullptr);
    while (dirent* entry = ::readdir(handle))
        count += entry->d_name[0] != '.';
    ::closedir(handle);
    return count;
}

void remove_tree(const std::string& dir) {
    REQUIRE(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
}

} // namespace

TEST_CASE("a delivered message lands in new with its exact bytes") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root + "/box"));
    auto path = maildir::deliver(root + "/box", "Subject: x\r\n\r\nhi\r\n");
    REQUIRE(path.ok());
    std::ifstream in(*path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "Subject: x\r\n\r\nhi\r\n");
    CHECK(count_files(root + "/box/new") == 1);
    CHECK(count_files(root + "/box/tmp") == 0);
    remove_tree(root);
}

TEST_CASE("two deliveries get two names") {
    CHECK(maildir::unique_name() != maildir::unique_name());
}

TEST_CASE("a missing maildir is a temporary failure") {
    auto path = maildir::deliver("/nonexistent/box", "x");
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().text() ==
          "/nonexistent/box: not a Maildir (no tmp, new and cur folders)");
    CHECK(path.error().exit_code == ExitCode::temp_fail);
}

TEST_CASE("a maildir over its quota refuses and keeps nothing") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << "10S,0C\n";
    auto path = maildir::deliver(root, "more than ten bytes");
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().message == "mailbox is over its quota");
    CHECK(count_files(root + "/new") == 0);
    CHECK(count_files(root + "/tmp") == 0);
    remove_tree(root);
}

TEST_CASE("a maildir at its message count refuses the next message") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << "1000000S,2C\n10 1\n12 1\n";
    auto path = maildir::deliver(root, "small");
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().text() == root + ": mailbox is over its quota");
    CHECK(path.error().exit_code == ExitCode::temp_fail);
    CHECK(count_files(root + "/new") == 0);
    remove_tree(root);
}

TEST_CASE("a count-only quota in either order is honoured") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << "1C\n10 1\n";
    CHECK_FALSE(maildir::deliver(root, "small").ok());
    std::ofstream(root + "/maildirsize") << "2C,1000000S\n10 1\n";
    CHECK(maildir::deliver(root, "small").ok());
    CHECK_FALSE(maildir::deliver(root, "small").ok());
    CHECK(count_files(root + "/new") == 1);
    remove_tree(root);
}

TEST_CASE("a maildir under its message count takes the message and counts "
          "it") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << "1000000S,2C\n10 1\n";
    REQUIRE(maildir::deliver(root, "small").ok());
    std::ifstream in(root + "/maildirsize");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "1000000S,2C\n10 1\n5 1\n");
    remove_tree(root);
}

TEST_CASE("a staged message waits in tmp and is in new only once published") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    auto staged = maildir::stage(root, "Subject: x\r\n\r\nhi\r\n");
    REQUIRE(staged.ok());
    CHECK(count_files(root + "/tmp") == 1);
    CHECK(count_files(root + "/new") == 0);
    auto path = maildir::publish(*staged);
    REQUIRE(path.ok());
    CHECK(*path == staged->new_path());
    CHECK(count_files(root + "/tmp") == 0);
    CHECK(count_files(root + "/new") == 1);
    remove_tree(root);
}

TEST_CASE("a discarded message leaves nothing in tmp or new") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    auto staged = maildir::stage(root, "small");
    REQUIRE(staged.ok());
    maildir::discard(*staged);
    CHECK(count_files(root + "/tmp") == 0);
    CHECK(count_files(root + "/new") == 0);
    remove_tree(root);
}

TEST_CASE("a message that cannot be published is removed from tmp") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    auto staged = maildir::stage(root, "small");
    REQUIRE(staged.ok());
    REQUIRE(::rmdir((root + "/new").c_str()) == 0);
    auto path = maildir::publish(*staged);
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().text() ==
          staged->new_path() + ": No such file or directory");
    CHECK(path.error().exit_code == ExitCode::temp_fail);
    CHECK(count_files(root + "/tmp") == 0);
    remove_tree(root);
}

TEST_CASE("messages published together are all linked, then leave tmp") {
    std::string root = temp_dir();
    std::vector<maildir::Staged> staged;
    for (const char* box : {"/a", "/b"}) {
        REQUIRE(maildir::create(root + box));
        auto one = maildir::stage(root + box, "small");
        REQUIRE(one.ok());
        staged.push_back(*one);
    }
    std::ofstream(root + "/b/maildirsize") << "1000000S\n";
    maildir::Publication done = maildir::publish_all(staged);
    REQUIRE(done.status.ok());
    CHECK(done.left_in_new.empty());
    for (const char* box : {"/a", "/b"}) {
        CHECK(count_files(root + box + "/new") == 1);
        CHECK(count_files(root + box + "/tmp") == 0);
    }
    std::ifstream in(root + "/b/maildirsize");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "1000000S\n5 1\n");
    remove_tree(root);
}

TEST_CASE("one message that cannot be linked takes back those linked") {
    std::string root = temp_dir();
    std::vector<maildir::Staged> staged;
    for (const char* box : {"/a", "/b", "/c"}) {
        REQUIRE(maildir::create(root + box));
        auto one = maildir::stage(root + box, "small");
        REQUIRE(one.ok());
        staged.push_back(*one);
    }
    std::ofstream(root + "/a/maildirsize") << "1000000S\n";
    REQUIRE(::rmdir((root + "/b/new").c_str()) == 0);
    maildir::Publication done = maildir::publish_all(staged);
    REQUIRE_FALSE(done.status.ok());
    CHECK(done.status.error().text() ==
          staged[1].new_path() + ": No such file or directory");
    CHECK(done.status.error().exit_code == ExitCode::temp_fail);
    CHECK(done.left_in_new.empty());
    for (const char* box : {"/a", "/c"})
        CHECK(count_files(root + box + "/new") == 0);
    for (const char* box : {"/a", "/b", "/c"})
        CHECK(count_files(root + box + "/tmp") == 0);
    std::ifstream in(root + "/a/maildirsize");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "1000000S\n");
    remove_tree(root);
}

TEST_CASE("a staged message is counted in maildirsize only when published") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << "1000000S,2C\n";
    auto staged = maildir::stage(root, "small");
    REQUIRE(staged.ok());
    maildir::discard(*staged);
    REQUIRE(maildir::deliver(root, "small").ok());
    std::ifstream in(root + "/maildirsize");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "1000000S,2C\n5 1\n");
    remove_tree(root);
}

namespace {

// Delivers into a Maildir whose maildirsize holds text; returns the
// error text, or "" when the message was taken.
std::string deliver_with_maildirsize(const std::string& text) {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    std::ofstream(root + "/maildirsize") << text;
    auto path = maildir::deliver(root, "small");
    std::string error = path.ok() ? "" : path.error().message;
    if (!path.ok()) {
        CHECK(path.error().exit_code == ExitCode::temp_fail);
        CHECK(count_files(root + "/new") == 0);
        CHECK(count_files(root + "/tmp") == 0);
    }
    remove_tree(root);
    return error;
}

constexpr const char* does_not_add_up =
    "maildirsize does not add up; mailbox counted as over its quota";

} // namespace

TEST_CASE("a maildirsize usage beyond 64 bits counts as over quota") {
    CHECK(deliver_with_maildirsize("1000000S\n18446744073709551615 1\n") ==
          does_not_add_up);
    CHECK(deliver_with_maildirsize("1000000S\n5 18446744073709551615\n") ==
          does_not_add_up);
}

TEST_CASE("maildirsize usage lines whose sum overflows count as over quota") {
    CHECK(deliver_with_maildirsize("1000000S\n9223372036854775807 1\n"
                                   "9223372036854775807 1\n") ==
          does_not_add_up);
}

TEST_CASE("maildirsize usage that adds up below zero counts as over quota") {
    CHECK(deliver_with_maildirsize("1000000S,10C\n-99999999 -5\n") ==
          does_not_add_up);
    CHECK(deliver_with_maildirsize("1000000S,10C\n10 1\n-20 -1\n") ==
          does_not_add_up);
}

TEST_CASE("a negative or out of range maildir quota counts as over quota") {
    CHECK(deliver_with_maildirsize("-5S\n") == does_not_add_up);
    CHECK(deliver_with_maildirsize("99999999999999999999S\n") ==
          does_not_add_up);
}

TEST_CASE("a maildirsize line longer than Maildir++ writes counts as over "
          "quota") {
    CHECK(deliver_with_maildirsize("1000000S\n" + std::string(300, ' ') +
                                   "5 1\n") == does_not_add_up);
}

TEST_CASE("removals in maildirsize that leave usage at zero or more count") {
    CHECK(deliver_with_maildirsize("1000S,10C\n500 2\n-400 -1\n") == "");
    CHECK(deliver_with_maildirsize("1000S,2C\n500 2\n-500 -1\n") == "");
    CHECK(deliver_with_maildirsize("1000S,2C\n500 2\n-400 -0\n") ==
          "mailbox is over its quota");
}

TEST_CASE("a maildirsize that is a FIFO counts as over quota at once") {
    std::string root = temp_dir();
    REQUIRE(maildir::create(root));
    REQUIRE(::mkfifo((root + "/maildirsize").c_str(), 0600) == 0);
    auto path = maildir::deliver(root, "small");
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().text() ==
          root + ": maildirsize is a FIFO, not a regular file; mailbox "
                 "counted as over its quota");
    CHECK(count_files(root + "/new") == 0);
    remove_tree(root);
}
