// The libclamav engine: loading the project's test signatures, scanning
// buffers, refusing an empty folder, reloading after a change.
#include "av_engine.hpp"

#include "tar_builder.hpp"
#include "zip_builder.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace portcullis;
namespace fs = std::filesystem;

namespace {

const std::string signatures = PORTCULLIS_TEST_DIR "/../share/signatures";

std::string eicar() {
    // Assembled from pieces so this source file is not itself flagged.
    return std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$") + "EICAR-STANDARD-" +
           "ANTIVIRUS-TEST-FILE!$H+H*";
}

fs::path temp_dir() {
    std::string templ = (fs::temp_directory_path() / "av-test-XXXXXX");
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    return templ;
}

// An engine that knows EICAR by its hash alone: it finds the file
// unpacked whole, never the string in the bytes of an archive.
std::unique_ptr<av::Engine> hash_engine(const fs::path& dir,
                                        const av::ScanLimits& limits) {
    fs::copy_file(signatures + "/portcullis-test.hdb", dir / "a.hdb");
    av::EngineSettings settings;
    settings.limits = limits;
    auto engine = av::Engine::load(dir, settings);
    REQUIRE(engine.ok());
    return std::move(*engine);
}

std::string tar_of_empty_members_and_eicar(int empty_members) {
    std::string tar;
    for (int i = 0; i < empty_members; ++i)
        tar += test::tar_file("f" + std::to_string(i), "");
    return tar + test::tar_file("eicar.com", eicar()) + test::tar_end();
}

} // namespace

TEST_CASE("the test signatures find EICAR and pass clean text") {
    auto engine = av::Engine::load(signatures, {});
    REQUIRE(engine.ok());
    CHECK((*engine)->signatures() >= 4);
    auto found = (*engine)->scan(eicar(), av::ScanMode::content);
    REQUIRE(found.ok());
    CHECK(found->outcome == av::Outcome::infected);
    CHECK(found->name.rfind("Portcullis.Test.EICAR", 0) == 0);
    auto clean = (*engine)->scan("hello world", av::ScanMode::content);
    REQUIRE(clean.ok());
    CHECK(clean->outcome == av::Outcome::clean);
}

TEST_CASE("an empty signature folder is an error, never an engine") {
    fs::path dir = temp_dir();
    auto engine = av::Engine::load(dir, {});
    REQUIRE_FALSE(engine.ok());
    CHECK(engine.error().message == "no signatures found");
    CHECK(engine.error().exit_code == ExitCode::unavailable);
    fs::remove_all(dir);
}

TEST_CASE("the watcher swaps in a changed folder and keeps a working one") {
    fs::path dir = temp_dir();
    fs::copy_file(signatures + "/portcullis-test.hdb", dir / "a.hdb");
    av::Watcher watcher(dir, {});
    REQUIRE(watcher.start().ok());
    CHECK(watcher.engine().signatures() == 2);

    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    fs::copy_file(signatures + "/portcullis-test.ndb", dir / "b.ndb");
    CHECK(watcher.refresh().ok());
    CHECK(watcher.reloads() == 1);
    CHECK(watcher.engine().signatures() == 4);

    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::ofstream(dir / "c.ndb") << "broken\n";
    CHECK_FALSE(watcher.refresh().ok());
    CHECK(watcher.reloads() == 1);
    CHECK(watcher.engine().signatures() == 4);
    fs::remove_all(dir);
}

TEST_CASE("a scan is an error, not clean, when the temporary folder goes") {
    fs::path dir = temp_dir();
    av::EngineSettings settings;
    settings.tmp_dir = dir.string();
    REQUIRE(av::check_tmp_dir(settings.tmp_dir).ok());
    auto engine = av::Engine::load(signatures, settings);
    REQUIRE(engine.ok());
    fs::remove(dir);
    auto found = (*engine)->scan("plain text", av::ScanMode::content);
    REQUIRE_FALSE(found.ok());
    CHECK(found.error().text().rfind(
              "libclamav: Can't create temporary directory for scan: " +
                  dir.string() + "/",
              0) == 0);
    auto missing = av::check_tmp_dir(dir.string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().text() ==
          dir.string() +
              ": cannot create a temporary folder: No such file or directory");
}

TEST_CASE("eicar in a tar within the scan limits is unpacked and found") {
    fs::path dir = temp_dir();
    av::ScanLimits limits;
    limits.max_files = 100;
    auto engine = hash_engine(dir, limits);
    auto found =
        engine->scan(tar_of_empty_members_and_eicar(99), av::ScanMode::content);
    REQUIRE(found.ok());
    CHECK(found->outcome == av::Outcome::infected);
    CHECK(found->name == "Portcullis.Test.EICAR-Hash.UNOFFICIAL");
    fs::remove_all(dir);
}

TEST_CASE("a tar of more members than max_files is a scan limit, never "
          "unpacked") {
    fs::path dir = temp_dir();
    av::ScanLimits limits;
    limits.max_files = 100;
    auto engine = hash_engine(dir, limits);
    std::string tar = tar_of_empty_members_and_eicar(100);
    auto limited = engine->scan(tar, av::ScanMode::content);
    REQUIRE(limited.ok());
    CHECK(limited->outcome == av::Outcome::scan_limit);
    CHECK(limited->name == "Portcullis.Limits.MaxFiles");

    // The tar's members count with those of the ZIP it is in.
    test::ZipBuilder zip;
    zip.members = {
        test::stored("inner.tar", tar_of_empty_members_and_eicar(99)),
        test::stored("more.txt", "")};
    auto nested = engine->scan(zip.build(), av::ScanMode::content);
    REQUIRE(nested.ok());
    CHECK(nested->outcome == av::Outcome::scan_limit);
    CHECK(nested->name == "Portcullis.Limits.MaxFiles");
    fs::remove_all(dir);
}
