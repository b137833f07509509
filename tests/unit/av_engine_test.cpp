// The libclamav engine: loading the project's test signatures, scanning
// buffers, refusing an empty folder, reloading after a change.
#include "av_engine.hpp"

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
