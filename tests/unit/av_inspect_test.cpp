// Our look at each file libclamav unpacks: ZIP and tar members counted,
// empty ones too, across nesting; sizes declared over the limits; an inner
// file libclamav may have cut short. Each is a limit, never a silent clean.
#include "av_inspect.hpp"

#include "tar_builder.hpp"
#include "zip_builder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace portcullis;

namespace {

using test::Member;
using test::stored;

std::string zip(const std::vector<Member>& members) {
    test::ZipBuilder builder;
    builder.members = members;
    return builder.build();
}

std::string zip_of_empty_members(size_t count) {
    std::vector<Member> members;
    for (size_t i = 0; i < count; ++i)
        members.push_back(stored("f" + std::to_string(i) + ".txt", ""));
    return zip(members);
}

std::string tar_of_empty_members(size_t count) {
    std::string tar;
    for (size_t i = 0; i < count; ++i)
        tar += test::tar_file("f" + std::to_string(i) + ".txt", "");
    return tar + test::tar_end();
}

av::ScanLimits small_limits() {
    av::ScanLimits limits;
    limits.max_files = 100;
    limits.max_file_bytes = 1000;
    limits.max_scan_bytes = 5000;
    return limits;
}

} // namespace

TEST_CASE("a zip of more empty members than max_files is not unpacked") {
    av::ScanLimits limits = small_limits();
    av::Inspection at_limit(limits, 1000);
    CHECK(at_limit.admit(zip_of_empty_members(100), 0));
    CHECK(at_limit.limit().empty());

    av::Inspection past_limit(limits, 1000);
    CHECK_FALSE(past_limit.admit(zip_of_empty_members(101), 0));
    CHECK(past_limit.limit() == "Portcullis.Limits.MaxFiles");
}

TEST_CASE("zip members count against max_files across nested archives") {
    av::ScanLimits limits = small_limits();
    std::string inner = zip_of_empty_members(60);
    av::Inspection inspection(limits, inner.size());
    CHECK(inspection.admit(inner, 0));
    CHECK_FALSE(inspection.admit(inner, 1));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxFiles");
}

TEST_CASE("a zip member declared over max_file_bytes is a limit, scanned") {
    av::ScanLimits limits = small_limits();
    av::Inspection inspection(limits, 1000);
    Member big = stored("big.txt", "short");
    big.declared_bytes = 1001;
    CHECK(inspection.admit(zip({stored("a.txt", "a"), big}), 0));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxFileSize");

    av::Inspection fits(limits, 1000);
    big.declared_bytes = 1000;
    CHECK(fits.admit(zip({big}), 0));
    CHECK(fits.limit().empty());
}

TEST_CASE("zip members declared over max_scan_bytes together are a limit") {
    av::ScanLimits limits = small_limits();
    av::Inspection inspection(limits, 1000);
    std::vector<Member> members;
    for (int i = 0; i < 6; ++i) {
        members.push_back(stored("m" + std::to_string(i), ""));
        members.back().declared_bytes = 900;
    }
    CHECK(inspection.admit(zip(members), 0));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxScanSize");
}

TEST_CASE("an inner file over what libclamav surely delivers whole is a "
          "limit") {
    av::ScanLimits limits = small_limits();
    av::Inspection inspection(limits, 800);
    std::string file(801, ' ');
    CHECK(inspection.admit(file, 0));
    CHECK(inspection.limit().empty());
    CHECK(inspection.admit(file.substr(0, 800), 1));
    CHECK(inspection.limit().empty());
    CHECK(inspection.admit(file, 2));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxFileSize");
}

TEST_CASE("the first limit noted in a scan is the one reported") {
    av::ScanLimits limits = small_limits();
    av::Inspection inspection(limits, 1000);
    inspection.note("Portcullis.Limits.MaxScanSize");
    Member big = stored("big.txt", "");
    big.declared_bytes = 1001;
    CHECK(inspection.admit(zip({big}), 0));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxScanSize");
}

TEST_CASE("a tar of more empty members than max_files is not unpacked") {
    av::ScanLimits limits = small_limits();
    av::Inspection at_limit(limits, 1000);
    CHECK(at_limit.admit(tar_of_empty_members(100), 0));
    CHECK(at_limit.limit().empty());

    av::Inspection past_limit(limits, 1000);
    CHECK_FALSE(past_limit.admit(tar_of_empty_members(101), 0));
    CHECK(past_limit.limit() == "Portcullis.Limits.MaxFiles");
}

TEST_CASE("tar and zip members count together against max_files") {
    av::ScanLimits limits = small_limits();
    limits.max_file_bytes = limits.max_scan_bytes = 1u << 20;
    std::string tar = tar_of_empty_members(59);
    av::Inspection inspection(limits, limits.max_file_bytes);
    CHECK(inspection.admit(zip({stored("inner.tar", tar)}), 0));
    CHECK(inspection.admit(tar, 1));
    CHECK_FALSE(inspection.admit(zip_of_empty_members(41), 2));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxFiles");
}

TEST_CASE("a tar member declared over max_file_bytes is a limit, scanned") {
    av::ScanLimits limits = small_limits();
    av::Inspection inspection(limits, 1000);
    std::string cut = test::tar_block("big.txt", 1001, '0') + "short";
    CHECK(inspection.admit(test::tar_file("a.txt", "a") + cut, 0));
    CHECK(inspection.limit() == "Portcullis.Limits.MaxFileSize");

    av::Inspection fits(limits, 1000);
    CHECK(fits.admit(test::tar_file("a.txt", std::string(1000, 'a')), 0));
    CHECK(fits.limit().empty());
}
