// Maildir delivery: atomic, unique, and refusing rather than losing.
#include "core/maildir.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

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
