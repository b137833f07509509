// The envelope's received time: RFC 3339 section 5.6 date-time and
// nothing else. GLib's ISO 8601 reader took week and ordinal dates, the
// basic format, no offset and +24:00, and refused a lower-case "t"/"z".
#include "mail/envelope.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using mail::parse_rfc3339;

TEST_CASE("parse_rfc3339 reads every form section 5.6 allows") {
    const int64_t may_day = 1714557600; // 2024-05-01T10:00:00Z
    for (const char* text :
         {"2024-05-01T10:00:00Z", "2024-05-01t10:00:00z",
          "2024-05-01 10:00:00Z", "2024-05-01T10:00:00.5Z",
          "2024-05-01T10:00:00.123456789Z", "2024-05-01T12:00:00+02:00",
          "2024-05-01T04:30:00-05:30", "2024-05-01T10:00:00-00:00",
          "2024-05-01T10:00:00+00:00", "2024-05-02T09:59:00+23:59",
          "2024-04-30T10:01:00-23:59"})
        CHECK(parse_rfc3339(text) == may_day);
    CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_rfc3339("1969-12-31T23:59:59Z") == -1);
    CHECK(parse_rfc3339("0000-01-01T00:00:00Z") == -62167219200);
    CHECK(parse_rfc3339("9999-12-31T23:59:59Z") == 253402300799);
}

TEST_CASE("parse_rfc3339 knows month lengths and leap years") {
    CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == 1709164800);
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z"));
    CHECK(!parse_rfc3339("2023-02-29T00:00:00Z"));
    CHECK(!parse_rfc3339("1900-02-29T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-02-30T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-04-31T00:00:00Z"));
    CHECK(parse_rfc3339("2024-12-31T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-13-01T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-00-01T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-01-00T00:00:00Z"));
    CHECK(!parse_rfc3339("2024-01-32T00:00:00Z"));
}

TEST_CASE("parse_rfc3339 reads a leap second as the second before it") {
    CHECK(parse_rfc3339("2016-12-31T23:59:60Z") ==
          parse_rfc3339("2016-12-31T23:59:59Z"));
    CHECK(parse_rfc3339("2016-12-31T23:59:60.5+00:00") ==
          parse_rfc3339("2016-12-31T23:59:59Z"));
    CHECK(!parse_rfc3339("2016-12-31T23:59:61Z"));
}

TEST_CASE("parse_rfc3339 refuses times out of range") {
    for (const char* text :
         {"2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
          "2024-05-01T10:00:99Z", "2024-05-01T10:00:00+24:00",
          "2024-05-01T10:00:00-24:00", "2024-05-01T10:00:00+01:60",
          "2024-05-01T10:00:00+99:00"})
        CHECK_FALSE(parse_rfc3339(text));
}

TEST_CASE("parse_rfc3339 refuses ISO 8601 forms that are not RFC 3339") {
    for (const char* text :
         {// no offset, or an offset of another form
          "2024-05-01T10:00:00", "2024-05-01T10:00:00+02",
          "2024-05-01T10:00:00+0200", "2024-05-01T10:00:00 Z",
          "2024-05-01T10:00:00UTC", "2024-05-01T10:00:00ZZ",
          // week, ordinal and basic forms
          "2024-W18-3T10:00:00Z", "2024W183T100000Z", "2024-122T10:00:00Z",
          "20240501T100000Z", "2024-05-01T100000Z",
          // no seconds, a date or a time alone, an empty fraction
          "2024-05-01T10:00Z", "2024-05-01", "10:00:00Z",
          "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00,5Z",
          // other separators, signs and digit counts
          "2024-05-01_10:00:00Z", "2024-05-01\t10:00:00Z",
          "2024-05-01T10:00:00Z ", " 2024-05-01T10:00:00Z",
          "+2024-05-01T10:00:00Z", "-2024-05-01T10:00:00Z",
          "02024-05-01T10:00:00Z", "2024-5-01T10:00:00Z", "2024-05-1T10:00:00Z",
          "2024-05-01T1:00:00Z", "2024/05/01T10:00:00Z", "2024-05-01T10.00.00Z",
          "２０２４-05-01T10:00:00Z", "", "yesterday"})
        CHECK_FALSE(parse_rfc3339(text));
    CHECK_FALSE(parse_rfc3339(std::string("2024-05-01T10:00:00Z\0", 21)));
}
