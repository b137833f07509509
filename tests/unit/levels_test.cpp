// The setting hierarchy: lower levels may only tighten, unless allowed,
// and never change a locked setting.
#include "core/levels.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace portcullis;
namespace fs = std::filesystem;

namespace {

struct Setup {
    fs::path dir;
    config::Config config;

    explicit Setup(const std::string& system, const std::string& domain) {
        char pattern[] = "/tmp/portcullis-levels-XXXXXX";
        dir = ::mkdtemp(pattern);
        fs::create_directories(dir / "domains");
        std::ofstream(dir / "portcullis.toml") << system;
        std::ofstream(dir / "domains" / "example.com.toml") << domain;
        auto loaded = config::load((dir / "portcullis.toml").string(), true);
        REQUIRE(loaded.ok());
        config = std::move(*loaded);
    }
    ~Setup() { fs::remove_all(dir); }
};

const char* system_toml = R"(
[spam-score]
thresholds.reject = 10.0
thresholds.tag = 5.0
locked = ["thresholds.reject"]
allow_looser = ["allow_senders", "thresholds.tag"]
allow_senders = ["boss@example.org"]
block_senders = ["bad@example.net"]
)";

const char* domain_toml = R"(
[spam-score]
thresholds.tag = 4.0
allow_looser = ["thresholds.tag"]
allow_senders = ["partner@example.org"]

[users."bob@example.com".spam-score]
thresholds.reject = 20.0
thresholds.tag = 8.0
block_senders = ["pest@example.net"]

[users."eve@example.com".spam-score]
thresholds.tag = 3.0
)";

levels::Resolved<double> resolve(levels::Hierarchy& hierarchy,
                                 const std::string& rcpt, const char* key) {
    auto layers = hierarchy.layers(rcpt);
    REQUIRE(layers.ok());
    return levels::Hierarchy::number(*layers, key, 99, levels::Stricter::lower);
}

} // namespace

TEST_CASE("a domain cannot hand its users a looser right it was not given") {
    // The break test: the domain lists the keys in its own allow_looser
    // and loosens them for bob in the same file.
    Setup setup(R"([spam-score]
thresholds.tag = 5.0
thresholds.quarantine = 12.0
)",
                R"([spam-score]
allow_looser = ["thresholds.quarantine", "thresholds.tag", "allow_senders"]

[users."bob@example.com".spam-score]
thresholds.quarantine = 1000.0
thresholds.tag = 1000.0
allow_senders = ["spam.example"]
)");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto quarantine =
        resolve(hierarchy, "bob@example.com", "thresholds.quarantine");
    CHECK(quarantine.value == 12.0);
    CHECK(quarantine.level == "system");
    REQUIRE(quarantine.refused.size() == 1);
    CHECK(quarantine.refused[0] ==
          "user refused: 1000 is looser than 12 (domain level allows it, "
          "system level does not)");
    CHECK(resolve(hierarchy, "bob@example.com", "thresholds.tag").value == 5.0);
    auto bob = hierarchy.layers("bob@example.com");
    REQUIRE(bob.ok());
    auto allow = levels::Hierarchy::loosening_list(*bob, "allow_senders");
    CHECK(allow.value.empty());
    REQUIRE(allow.refused.size() == 1);
    CHECK(allow.refused[0] ==
          "user refused: allow_senders is not allowed below (domain level "
          "allows it, system level does not)");
}

TEST_CASE("a user loosens only what both system and domain allow") {
    Setup setup(R"([spam-score]
thresholds.tag = 5.0
thresholds.quarantine = 12.0
allow_looser = ["thresholds.tag"]
)",
                R"([spam-score]
allow_looser = ["thresholds.tag", "thresholds.quarantine"]

[users."bob@example.com".spam-score]
thresholds.tag = 8.0
thresholds.quarantine = 30.0
)");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto tag = resolve(hierarchy, "bob@example.com", "thresholds.tag");
    CHECK(tag.value == 8.0);
    CHECK(tag.level == "user");
    CHECK(tag.refused.empty());
    auto quarantine =
        resolve(hierarchy, "bob@example.com", "thresholds.quarantine");
    CHECK(quarantine.value == 12.0);
    REQUIRE(quarantine.refused.size() == 1);
    CHECK(quarantine.refused[0] ==
          "user refused: 30 is looser than 12 (domain level allows it, "
          "system level does not)");
}

TEST_CASE("a right the system grants stops at a domain that does not pass "
          "it on") {
    Setup setup(R"([spam-score]
thresholds.tag = 5.0
allow_looser = ["thresholds.tag", "allow_senders"]
)",
                R"([users."bob@example.com".spam-score]
thresholds.tag = 8.0
allow_senders = ["friend.example"]
)");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto tag = resolve(hierarchy, "bob@example.com", "thresholds.tag");
    CHECK(tag.value == 5.0);
    REQUIRE(tag.refused.size() == 1);
    CHECK(tag.refused[0] ==
          "user refused: 8 is looser than 5 (domain level does not allow it)");
    auto bob = hierarchy.layers("bob@example.com");
    REQUIRE(bob.ok());
    auto allow = levels::Hierarchy::loosening_list(*bob, "allow_senders");
    CHECK(allow.value.empty());
    CHECK(allow.refused ==
          std::vector<std::string>{
              "user refused: allow_senders is not allowed below (domain level "
              "does not allow it)"});
}

TEST_CASE("a locked key cannot change below, not even stricter") {
    Setup setup(R"([spam-score]
thresholds.tag = 5.0
block_senders = ["a.example"]
locked = ["thresholds.tag", "block_senders"]
allow_looser = ["thresholds.tag"]
)",
                R"([spam-score]
thresholds.tag = 4.0
allow_looser = ["thresholds.tag"]
block_senders = ["b.example"]

[users."bob@example.com".spam-score]
thresholds.tag = 9.0
)");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto tag = resolve(hierarchy, "bob@example.com", "thresholds.tag");
    CHECK(tag.value == 5.0);
    CHECK(tag.refused ==
          std::vector<std::string>{"domain refused: locked at system level",
                                   "user refused: locked at system level"});
    auto bob = hierarchy.layers("bob@example.com");
    REQUIRE(bob.ok());
    auto blocked = levels::Hierarchy::list_union(*bob, "block_senders");
    CHECK(blocked.value == std::vector<std::string>{"a.example"});
    CHECK(blocked.refused ==
          std::vector<std::string>{"domain refused: locked at system level"});
}

TEST_CASE("a domain's lock binds its users") {
    Setup setup(R"([spam-score]
thresholds.tag = 5.0
allow_looser = ["thresholds.tag"]
)",
                R"([spam-score]
allow_looser = ["thresholds.tag"]
locked = ["thresholds.tag"]

[users."bob@example.com".spam-score]
thresholds.tag = 3.0
)");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto tag = resolve(hierarchy, "bob@example.com", "thresholds.tag");
    CHECK(tag.value == 5.0);
    CHECK(tag.refused ==
          std::vector<std::string>{"user refused: locked at domain level"});
}

TEST_CASE("a domain file that is no regular file is refused, not read") {
    Setup setup("[spam-score]\nthresholds.tag = 5.0\n", "");
    fs::path file = setup.dir / "domains" / "example.com.toml";
    fs::remove(file);
    REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
    fs::create_symlink("/dev/zero", setup.dir / "domains" / "zero.test.toml");
    fs::create_directory(setup.dir / "domains" / "dir.test.toml");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto fifo = hierarchy.layers("bob@example.com");
    REQUIRE(!fifo.ok());
    CHECK(fifo.error().text() == file.string() + ": not a regular file");
    auto zero = hierarchy.layers("bob@zero.test");
    REQUIRE(!zero.ok());
    CHECK(zero.error().text() ==
          (setup.dir / "domains" / "zero.test.toml").string() +
              ": not a regular file");
    auto folder = hierarchy.layers("bob@dir.test");
    REQUIRE(!folder.ok());
    CHECK(folder.error().message == "a folder, not a configuration file");
    CHECK(folder.error().exit_code == ExitCode::config);
}

TEST_CASE("a domain file over the size cap is refused") {
    std::string big = "[spam-score]\n# " + std::string(3000, 'x') + "\n";
    Setup setup("[limits]\ndomain_file_bytes = 2048\n", big);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto layers = hierarchy.layers("bob@example.com");
    REQUIRE(!layers.ok());
    CHECK(layers.error().text() ==
          (setup.dir / "domains" / "example.com.toml").string() +
              ": larger than 2048 bytes");
    Setup fits("", big);
    levels::Hierarchy roomy(fits.config, "spam-score");
    CHECK(roomy.layers("bob@example.com").ok());
}

TEST_CASE("a user cannot loosen a locked threshold") {
    Setup setup(system_toml, domain_toml);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto layers = hierarchy.layers("Bob@Example.com");
    REQUIRE(layers.ok());
    auto reject = levels::Hierarchy::number(*layers, "thresholds.reject", 99,
                                            levels::Stricter::lower);
    CHECK(reject.value == 10.0);
    CHECK(reject.level == "system");
    REQUIRE(reject.refused.size() == 1);
    CHECK(reject.refused[0] == "user refused: locked at system level");
}

TEST_CASE("a domain tightens, and a user loosens only where allowed") {
    Setup setup(system_toml, domain_toml);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto bob = hierarchy.layers("bob@example.com");
    REQUIRE(bob.ok());
    auto tag = levels::Hierarchy::number(*bob, "thresholds.tag", 99,
                                         levels::Stricter::lower);
    CHECK(tag.value == 8.0); // system and domain list tag in allow_looser
    CHECK(tag.level == "user");

    auto eve = hierarchy.layers("eve@example.com");
    REQUIRE(eve.ok());
    auto eve_tag = levels::Hierarchy::number(*eve, "thresholds.tag", 99,
                                             levels::Stricter::lower);
    CHECK(eve_tag.value == 3.0);
}

TEST_CASE("a domain cannot loosen a threshold the system did not allow") {
    Setup setup("[spam-score]\nthresholds.tag = 5.0\n",
                "[spam-score]\nthresholds.tag = 7.5\n");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto layers = hierarchy.layers("x@example.com");
    REQUIRE(layers.ok());
    auto tag = levels::Hierarchy::number(*layers, "thresholds.tag", 99,
                                         levels::Stricter::lower);
    CHECK(tag.value == 5.0);
    REQUIRE(tag.refused.size() == 1);
    CHECK(tag.refused[0] ==
          "domain refused: 7.5 is looser than 5 (system level does not "
          "allow it)");
}

TEST_CASE("block lists grow at every level, allow lists only where allowed") {
    Setup setup(system_toml, domain_toml);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto bob = hierarchy.layers("bob@example.com");
    REQUIRE(bob.ok());
    CHECK(levels::Hierarchy::list_union(*bob, "block_senders").value ==
          std::vector<std::string>{"bad@example.net", "pest@example.net"});
    auto allow = levels::Hierarchy::loosening_list(*bob, "allow_senders");
    CHECK(allow.value ==
          std::vector<std::string>{"boss@example.org", "partner@example.org"});
}

TEST_CASE("a domain from message data never escapes the domains folder") {
    CHECK(levels::safe_domain("a@Example.COM") == "example.com");
    CHECK_FALSE(levels::safe_domain("a@../../etc/passwd"));
    CHECK_FALSE(levels::safe_domain("a@exa/mple.com"));
    CHECK_FALSE(levels::safe_domain("a@.hidden"));
    CHECK_FALSE(levels::safe_domain("a@"));
}

TEST_CASE("a recipient finds its user table however it is written") {
    Setup setup(system_toml, domain_toml);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    for (const char* rcpt :
         {"bob@example.com", "\"bob\"@example.com", "<bob@example.com>",
          "bob@example.com.", "BOB@EXAMPLE.COM", " <\"Bob\"@Example.Com.> "}) {
        INFO(rcpt);
        auto layers = hierarchy.layers(rcpt);
        REQUIRE(layers.ok());
        CHECK(layers->domain != nullptr);
        REQUIRE(layers->user != nullptr);
        CHECK(levels::Hierarchy::number(*layers, "thresholds.tag", 99,
                                        levels::Stricter::lower)
                  .value == 8.0);
    }
}

TEST_CASE("a sub-address finds its user's table unless it has its own") {
    // bob+lists@example.com was judged as a user of its own, with the
    // domain's settings alone (break test).
    Setup setup(system_toml, std::string(domain_toml) +
                                 "[users.\"bob+shop@example.com\".spam-score]\n"
                                 "thresholds.tag = 5.0\n");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto tag = [&](const char* rcpt) -> std::optional<double> {
        auto layers = hierarchy.layers(rcpt);
        REQUIRE(layers.ok());
        if (!layers->user)
            return std::nullopt;
        return levels::Hierarchy::number(*layers, "thresholds.tag", 99,
                                         levels::Stricter::lower)
            .value;
    };
    CHECK(tag("bob+lists@example.com") == 8.0);
    CHECK(tag("Bob+Lists+2@Example.com") == 8.0);
    CHECK(tag("bob+shop@example.com") == 5.0);
    CHECK(!tag("bob-lists@example.com"));
    CHECK(!tag("+bob@example.com"));
}

TEST_CASE("a user table written in another form is still found") {
    Setup setup(system_toml,
                "[users.\"\\\"Carol\\\"@Example.COM.\".spam-score]\n"
                "thresholds.tag = 2.0\n");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto layers = hierarchy.layers("carol@example.com");
    REQUIRE(layers.ok());
    REQUIRE(layers->user != nullptr);
    CHECK(levels::Hierarchy::number(*layers, "thresholds.tag", 99,
                                    levels::Stricter::lower)
              .value == 2.0);
}

TEST_CASE("an internationalised domain finds the file named by its A-label") {
    Setup setup(system_toml, domain_toml);
    std::ofstream(setup.dir / "domains" / "xn--bcher-kva.example.toml")
        << "[spam-score]\nthresholds.tag = 3.0\n"
           "[users.\"anna@bücher.example\".spam-score]\n"
           "thresholds.tag = 1.0\n";
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    for (const char* rcpt : {"anna@bücher.example", "Anna@BÜCHER.example.",
                             "anna@xn--bcher-kva.example"}) {
        INFO(rcpt);
        auto layers = hierarchy.layers(rcpt);
        REQUIRE(layers.ok());
        CHECK(layers->domain != nullptr);
        CHECK(levels::Hierarchy::number(*layers, "thresholds.tag", 99,
                                        levels::Stricter::lower)
                  .value == 1.0);
    }
    auto other = hierarchy.layers("zoe@bücher.example");
    REQUIRE(other.ok());
    CHECK(other->user == nullptr);
    CHECK(levels::Hierarchy::number(*other, "thresholds.tag", 99,
                                    levels::Stricter::lower)
              .value == 3.0);
}

TEST_CASE("a domain's layers are its own table, then each of its users") {
    Setup setup(system_toml, domain_toml);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto parties = hierarchy.domain_layers("example.com");
    REQUIRE(parties.ok());
    REQUIRE(parties->size() == 3);
    auto bob = hierarchy.layers("bob@example.com");
    auto eve = hierarchy.layers("eve@example.com");
    auto zoe = hierarchy.layers("zoe@example.com");
    REQUIRE((bob.ok() && eve.ok() && zoe.ok()));
    for (size_t i = 0; i < 3; ++i) {
        const levels::Layers& want = i == 0 ? *zoe : i == 1 ? *bob : *eve;
        CHECK((*parties)[i].system == want.system);
        CHECK((*parties)[i].domain == want.domain);
        CHECK((*parties)[i].user == want.user);
    }
    auto none = hierarchy.domain_layers("example.net");
    REQUIRE(none.ok());
    CHECK(none->empty());
}

TEST_CASE("a recipient's file domain is the one its levels are read from") {
    CHECK(levels::Hierarchy::file_domain("<\"Bob\"@Example.COM.>") ==
          "example.com");
    CHECK(levels::Hierarchy::file_domain("anna@bücher.example") ==
          "xn--bcher-kva.example");
    CHECK_FALSE(levels::Hierarchy::file_domain("x@../etc"));
    CHECK_FALSE(levels::Hierarchy::file_domain(""));
}

TEST_CASE("a broken domain file is an error naming file and line") {
    Setup setup("", "[spam-score]\nthresholds.tag = \n");
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    auto layers = hierarchy.layers("x@example.com");
    REQUIRE(!layers.ok());
    CHECK(layers.error().context ==
          (setup.dir / "domains" / "example.com.toml").string() + ":2");
    CHECK(layers.error().exit_code == ExitCode::config);
}

namespace {

double tag_of(levels::Hierarchy& hierarchy, const std::string& rcpt) {
    return resolve(hierarchy, rcpt, "thresholds.tag").value;
}

// Writes the domain file again in place: same inode, the content given.
void rewrite_in_place(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::trunc) << content;
}

} // namespace

TEST_CASE("a domain file is read again after it changes, not before "
          "recheck") {
    Setup setup(system_toml, "[spam-score]\nthresholds.tag = 4.0\n");
    fs::path file = setup.dir / "domains" / "example.com.toml";
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    CHECK(tag_of(hierarchy, "bob@example.com") == 4.0);
    uint64_t generation = hierarchy.generation();

    rewrite_in_place(file, "[spam-score]\nthresholds.tag = 3.25\n");
    CHECK(tag_of(hierarchy, "bob@example.com") == 4.0);
    hierarchy.recheck();
    CHECK(tag_of(hierarchy, "bob@example.com") == 3.25);
    CHECK(hierarchy.generation() != generation);

    // Unchanged: kept, not read again.
    generation = hierarchy.generation();
    hierarchy.recheck();
    CHECK(tag_of(hierarchy, "bob@example.com") == 3.25);
    CHECK(hierarchy.generation() == generation);
}

TEST_CASE("an edit that keeps size and modification time is still seen") {
    Setup setup(system_toml, "[spam-score]\nthresholds.tag = 4.0\n");
    fs::path file = setup.dir / "domains" / "example.com.toml";
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    CHECK(tag_of(hierarchy, "bob@example.com") == 4.0);
    struct stat before {};
    REQUIRE(::stat(file.c_str(), &before) == 0);
    // File times tick with the kernel's coarse clock: a few ms apart.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rewrite_in_place(file, "[spam-score]\nthresholds.tag = 2.0\n");
    // Put the old modification time back, as cp -p or rsync -t do.
    timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
    hierarchy.recheck();
    CHECK(tag_of(hierarchy, "bob@example.com") == 2.0);
}

TEST_CASE("a missing, broken or removed domain file is retried when it "
          "changes") {
    Setup setup(system_toml, "");
    fs::path file = setup.dir / "domains" / "example.com.toml";
    fs::remove(file);
    levels::Hierarchy hierarchy(setup.config, "spam-score");
    CHECK(tag_of(hierarchy, "bob@example.com") == 5.0);

    std::ofstream(file) << "[spam-score]\nthresholds.tag = \n";
    hierarchy.recheck();
    auto broken = hierarchy.layers("bob@example.com");
    REQUIRE(!broken.ok());
    CHECK(broken.error().context == file.string() + ":2");
    hierarchy.recheck();
    CHECK(!hierarchy.layers("bob@example.com").ok());

    rewrite_in_place(file, "[spam-score]\nthresholds.tag = 1.5\n");
    hierarchy.recheck();
    CHECK(tag_of(hierarchy, "bob@example.com") == 1.5);

    fs::remove(file);
    hierarchy.recheck();
    auto gone = hierarchy.layers("bob@example.com");
    REQUIRE(gone.ok());
    CHECK(gone->domain == nullptr);
    CHECK(tag_of(hierarchy, "bob@example.com") == 5.0);
}
