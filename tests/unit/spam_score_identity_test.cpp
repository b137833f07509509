// What a learned message is known by: the same for every copy of it that
// delivery and our own tools make, and different for another message.
#include "mail/header_edit.hpp"
#include "spam_score_fixtures.hpp"
#include "spam_score_identity.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;

namespace {

const std::string tag = "[SPAM]";

const std::string original =
    "From: Shop <shop@example.biz>\n"
    "To: bob@example.net\n"
    "Date: Fri, 04 Dec 2026 10:00:00 +0000\n"
    "Message-ID: <sale@example.biz>\n"
    "Subject: Gr\xc3\xb6\xc3\x9f"
    "te SALE of the year\n"
    "X-Mailer: Shop 1.0\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Gr\xc3\xbc\xc3\x9f"
    "e! Click here: http://deals.example.biz/now\n"
    "for the sale.\n"
    "--b1\n"
    "Content-Type: application/pdf; name=\"terms.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--b1--\n";

std::string identity_of(const std::string& message) {
    auto analysis = analyse(message, Limits{}, 512 * 1024);
    REQUIRE(analysis.ok());
    return message_identity(*analysis, tag);
}

// Returns message with from replaced by to, which must be in it.
std::string edited(std::string message, const std::string& from,
                   const std::string& to) {
    size_t at = message.find(from);
    REQUIRE(at != std::string::npos);
    return message.replace(at, from.size(), to);
}

std::string with_crlf(const std::string& message) {
    std::string out;
    for (char c : message) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

} // namespace

TEST_CASE("a message keeps its identity through delivery and our tools") {
    const std::string id = identity_of(original);
    const std::string body_part =
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Gr\xc3\xbc\xc3\x9f"
        "e! Click here: http://deals.example.biz/now\n"
        "for the sale.\n";
    const std::pair<const char*, std::string> copies[] = {
        {"line ends written as CRLF", with_crlf(original)},
        {"an mbox From_ line",
         "From shop@example.biz Fri Dec  4 10:00:00 2026\n" + original},
        {"delivery fields on top",
         "Return-Path: <shop@example.biz>\n"
         "Delivered-To: bob@example.net\n"
         "X-Original-To: bob@example.net\n"
         "Envelope-To: bob@example.net\n"
         "Received: from localhost (localhost [127.0.0.1])\n"
         "\tby mx.example.net with LMTP; Fri, 04 Dec 2026 10:00:02 +0000\n" +
             original},
        {"an outside Received hop",
         "Received: from mail.example.biz (mail.example.biz "
         "[203.0.113.9])\n\tby mx.example.net with ESMTP id ABC; Fri, 04 "
         "Dec 2026 10:00:01 +0000\n" +
             original},
        {"what other hops add",
         "Authentication-Results: mx.example.net; spf=pass\n"
         "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.net; b=xyz\n"
         "X-MS-Exchange-Organization-SCL: 1\n" +
             original},
        {"spam-score's tag and fields, policy-check's and av-scan's fields",
         edited(edited(original, "Subject: ", "Subject: [SPAM] "),
                "X-Mailer: Shop 1.0\n",
                "X-Mailer: Shop 1.0\nX-Spam-Flag: YES\nX-Spam-Score: 9.1\n"
                "X-Spam-Level: *********\nX-Spam-Status: Yes, score=9.1\n"
                "\trequired=5.0 tests=FUZZY_SPAM_STRONG\n"
                "X-Portcullis-Policy: tag; rules=conduct\n"
                "X-Portcullis-AV: clean\nX-Conduct: objectionable\n")},
        {"the tag written as an encoded-word",
         edited(original,
                "Subject: Gr\xc3\xb6\xc3\x9f"
                "te SALE of the year",
                "Subject: "
                "=?UTF-8?B?W1NQQU1dIEdyw7bDn3RlIFNBTEUgb2YgdGhlIHllYXI=?=")},
        {"the subject refolded", edited(original,
                                        "Subject: Gr\xc3\xb6\xc3\x9f"
                                        "te SALE of",
                                        "Subject: Gr\xc3\xb6\xc3\x9f"
                                        "te SALE\n  of")},
        {"fields in another order",
         edited(edited(original, "To: bob@example.net\n", ""),
                "X-Mailer: Shop 1.0\n",
                "X-Mailer: Shop 1.0\nTo: bob@example.net\n")},
        {"the text part base64",
         edited(original, body_part,
                "Content-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: base64\n\n"
                "R3LDvMOfZSEgQ2xpY2sgaGVyZTogaHR0cDovL2RlYWxzLmV4YW1wbGUuYml6"
                "L25vdwpmb3IgdGhlIHNhbGUuCg==\n")},
        {"the text part quoted-printable",
         edited(original, body_part,
                "Content-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: quoted-printable\n\n"
                "Gr=C3=BC=C3=9Fe! Click here: http://deals.example.biz/=\n"
                "now\nfor the sale.\n")},
        {"the text part in ISO-8859-1",
         edited(original, body_part,
                "Content-Type: text/plain; charset=iso-8859-1\n"
                "Content-Transfer-Encoding: 8bit\n\n"
                "Gr\xfc\xdf"
                "e! Click here: http://deals.example.biz/now\n"
                "for the sale.\n")},
        {"blanks at line ends and a blank line at the end",
         edited(original, "now\nfor the sale.\n",
                "now  \nfor the sale.\t\n\n\n")},
        {"another boundary",
         edited(edited(edited(edited(original, "\"b1\"", "\"zz\""), "--b1\n",
                              "--zz\n"),
                       "--b1\n", "--zz\n"),
                "--b1--", "--zz--")},
        {"the attachment base64 wrapped otherwise",
         edited(original, "JVBERi0xLjQK\n", "JVBE\nRi0x\nLjQK\n")},
    };
    for (const auto& [what, copy] : copies) {
        INFO(what);
        CHECK(identity_of(copy) == id);
    }
}

TEST_CASE("a different message has a different identity") {
    const std::string id = identity_of(original);
    const std::pair<const char*, std::string> others[] = {
        {"another body word", edited(original, "for the sale", "for a sale")},
        {"another sender",
         edited(original, "shop@example.biz>", "store@example.biz>")},
        {"another recipient",
         edited(original, "To: bob@example.net", "To: carol@example.net")},
        {"another subject",
         edited(original, "SALE of the year", "SALE of the month")},
        {"another Message-ID",
         edited(original, "<sale@example.biz>", "<sale2@example.biz>")},
        {"another Date", edited(original, "10:00:00 +0000", "10:00:01 +0000")},
        {"another attachment",
         edited(original, "JVBERi0xLjQK", "JVBERi0xLjUK")},
        {"another attachment name",
         edited(original, "terms.pdf", "terms2.pdf")},
        {"another part type",
         edited(original, "application/pdf", "application/octet-stream")},
        {"the tag's words later in the subject",
         edited(original, "SALE of", "[SPAM] SALE of")},
        {"a blank line inside the text",
         edited(original, "now\nfor the", "now\n\nfor the")},
    };
    for (const auto& [what, other] : others) {
        INFO(what);
        CHECK(identity_of(other) != id);
    }
}

TEST_CASE("a message without a subject is the one tagging gave one") {
    // Tagging gives a message without a Subject "Subject: [SPAM]"; an
    // empty Subject is none either (token format 9).
    std::string none = "From: ann@example.org\nTo: bob@example.org\n\nHi\n";
    std::string tagged = mail::tag_subject(none, tag);
    REQUIRE(tagged.find("Subject: [SPAM]") != std::string::npos);
    CHECK(identity_of(tagged) == identity_of(none));
    CHECK(identity_of("Subject:\n" + none) == identity_of(none));
    CHECK(identity_of("Subject: x\n" + none) != identity_of(none));
}

TEST_CASE("blanks around the configured subject tag are not part of it") {
    portcullis::testing::TempDir dir;
    std::ofstream(dir.path + "/t.toml")
        << "[spam-score]\nsubject_tag = \"  [SPAM]  \"\n";
    auto loaded = config::load(dir.path + "/t.toml", true);
    REQUIRE(loaded.ok());
    CHECK(configured_subject_tag(*loaded) == "[SPAM]");
    std::string tagged = mail::tag_subject("Subject: sale\n\nx\n",
                                           configured_subject_tag(*loaded));
    CHECK(mail::tag_subject(tagged, configured_subject_tag(*loaded)) == tagged);
}

TEST_CASE("the subject tag is taken off the front of the subject only") {
    CHECK(without_subject_tag("[SPAM] Big sale", "[SPAM]") == "Big sale");
    CHECK(without_subject_tag("  [SPAM]\t Big  sale ", "[SPAM]") == "Big sale");
    CHECK(without_subject_tag("[SPAM]", "[SPAM]") == "");
    CHECK(without_subject_tag("[SPAM]Big sale", "[SPAM]") == "[SPAM]Big sale");
    CHECK(without_subject_tag("Re: [SPAM] Big sale", "[SPAM]") ==
          "Re: [SPAM] Big sale");
    CHECK(without_subject_tag("[spam] Big sale", "[SPAM]") ==
          "[spam] Big sale");
    CHECK(without_subject_tag("[SPAM] Big sale", "") == "[SPAM] Big sale");
    CHECK(without_subject_tag("***SPAM*** Big sale", " ***SPAM*** ") ==
          "Big sale");
}

TEST_CASE("a fuzzy index finds every strong match and forgets removed "
          "ones") {
    auto signature = [](uint64_t seed, size_t same) {
        std::vector<uint64_t> out(fuzzy_hashes);
        for (size_t i = 0; i < fuzzy_hashes; ++i)
            out[i] = i < same ? 1000 + i : seed * 100000 + i;
        return out;
    };
    FuzzyIndex index({{"a", signature(1, 64)},
                      {"b", signature(2, 56)},
                      {"c", signature(3, 40)}});
    const std::vector<uint64_t> probe = signature(9, 64);
    auto strong = index.all(probe, fuzzy_strongly_similar);
    REQUIRE(strong.size() == 2);
    CHECK(strong[0].digest == "a");
    CHECK(strong[0].similarity == 1.0);
    CHECK(strong[1].digest == "b");
    CHECK(strong[1].similarity == 56.0 / 64);
    CHECK(index.all(probe, fuzzy_similar).size() == 3);

    index.remove("a");
    CHECK(!index.contains("a"));
    CHECK(index.size() == 2);
    REQUIRE(index.best(probe, fuzzy_similar).has_value());
    CHECK(index.best(probe, fuzzy_similar)->digest == "b");
    index.add({"b", signature(4, 0)});
    CHECK(index.size() == 2);
    CHECK(index.best(probe, fuzzy_similar)->digest == "c");
    index.add({"a", signature(1, 64)});
    CHECK(index.best(probe, fuzzy_similar)->digest == "a");
}
