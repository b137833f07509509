// The readable text of a message: charsets, HTML, invisible characters,
// look-alike letters, and links undone from their disguises.
#include "mail/text.hpp"
#include "mail/uri.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace portcullis;

namespace {

std::string read_case(const std::string& name) {
    std::ifstream in(std::string(PORTCULLIS_TEST_DIR) + "/spam-score/" + name,
                     std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

text::MessageText extract(const std::string& message) {
    auto tree = mime::parse(message, Limits{});
    REQUIRE(tree.ok());
    return text::extract(*tree, 1 << 20);
}

} // namespace

TEST_CASE("zero-width characters are removed and counted") {
    text::MessageText t = extract(read_case("zero-width.eml"));
    CHECK(t.subject == "Free gift card winner");
    CHECK(t.zero_width_subject == 4);
    CHECK(t.body.find("Claim your free gift card now") != std::string::npos);
    CHECK(t.body.find("unsubscribe") != std::string::npos);
    CHECK(t.zero_width_body > 0);
}

TEST_CASE("latin-1 text is converted to utf-8") {
    CHECK(text::to_utf8("caf\xe9", "iso-8859-1") == "caf\xc3\xa9");
    CHECK(text::to_utf8("caf\xe9", "utf-8") == "caf\xc3\xa9");
    CHECK(text::to_utf8("caf\xe9", "no-such-charset") == "caf\xc3\xa9");
}

TEST_CASE("encoded words in a header are decoded") {
    CHECK(text::decode_header("=?ISO-8859-1?Q?Caf=E9?= ok") ==
          "Caf\xc3\xa9 ok");
}

TEST_CASE("a NUL in a header is dropped, not the text after it") {
    using namespace std::string_literals;
    CHECK(text::decode_header("one\0 =?utf-8?q?two?=\0three"s) ==
          "one twothree");
}

TEST_CASE("html is reduced to visible text with its links") {
    text::Html html = text::html_to_text(
        "<html><head><style>p{}</style></head><body><p>Hello&nbsp;"
        "&amp; <b>w</b>orld</p><div style=\"display: none\">hidden "
        "words</div><a href=\"http://x.example/a\">click</a>"
        "<script>var a = '<p>';</script></body></html>");
    std::string visible = text::squeeze_space(html.text);
    CHECK(visible == "Hello & world click");
    REQUIRE(html.links.size() == 1);
    CHECK(html.links[0].href == "http://x.example/a");
    CHECK(html.links[0].text == "click");
    CHECK(html.hidden_bytes > 0);
}

TEST_CASE("a word mixing cyrillic and latin letters is folded") {
    std::string s = "\xd0\xa0"
                    "ayPal account and \xd0\xbc\xd0\xb8\xd1\x80";
    CHECK(text::fold_lookalikes(s) == 1);
    CHECK(s == "PayPal account and \xd0\xbc\xd0\xb8\xd1\x80");
}

TEST_CASE("full-width letters are folded to ascii") {
    std::string s = "\xef\xbd\x86\xef\xbd\x92\xef\xbd\x85\xef\xbd\x85";
    CHECK(text::fold_lookalikes(s) == 1);
    CHECK(s == "free");
}

TEST_CASE("obfuscated links are normalised") {
    uri::Uri a = uri::normalize("hxxp://evil[.]example/path");
    CHECK(a.url == "http://evil.example/path");
    CHECK(a.obfuscated);
    uri::Uri b = uri::normalize("http://www.bank.example@3232235777/login");
    CHECK(b.host == "192.168.1.1");
    CHECK(b.numeric_host);
    uri::Uri c = uri::normalize("http://%65vil.example/");
    CHECK(c.host == "evil.example");
    uri::Uri d = uri::normalize("http://p\xd0\xb0ypal.com/");
    CHECK(d.host == "paypal.com");
    CHECK(d.lookalike_host);
}

TEST_CASE("links in plain text are found once each") {
    auto found = uri::find_in_text(
        "see http://a.example/x, and www.b.example. again http://a.example/x");
    REQUIRE(found.size() == 2);
    CHECK(found[0].url == "http://a.example/x");
    CHECK(found[1].host == "www.b.example");
}

TEST_CASE("an anchor naming another site is a look-alike link") {
    uri::Uri link = uri::normalize("http://login.evil.example/");
    link.from_html = true;
    link.shown_text = "https://www.paypal.com/signin";
    CHECK(uri::shows_other_site(link));
    link.shown_text = "https://www.evil.example/";
    CHECK(!uri::shows_other_site(link));
    link.shown_text = "click here";
    CHECK(!uri::shows_other_site(link));
    CHECK(uri::registrable_domain("a.b.example.co.uk") == "example.co.uk");
}
