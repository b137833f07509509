// Received fields read as relays: the "from" clause of each mail
// server's own way of writing it, the hops inside the receiving site,
// and names that look like home lines.
#include "mail/mime.hpp"
#include "mail/received.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using received::sending_relay;

namespace {

std::string relay_text(std::string_view value) {
    auto relay = sending_relay(value);
    if (!relay)
        return "none";
    return relay->ip + "|" + relay->rdns + "|" + relay->helo;
}

} // namespace

TEST_CASE("each mail server's from clause gives address, name and HELO") {
    // Sendmail and Postfix: HELO name first, looked-up name in brackets.
    CHECK(relay_text("from mx.sender.example (mail.sender.example "
                     "[203.0.113.5]) by mx.example.org (8.12.2) with ESMTP "
                     "id g8E3; Fri, 13 Sep 2002 22:39:53 -0500") ==
          "203.0.113.5|mail.sender.example|mx.sender.example");
    CHECK(relay_text("from pc7 (unknown [203.0.113.9])\r\n\tby "
                     "mx.example.org (Postfix) with SMTP id 1A2B") ==
          "203.0.113.9||pc7");
    CHECK(relay_text("from list.example ([198.51.100.4]) by mx.example.org") ==
          "198.51.100.4||list.example");
    CHECK(relay_text("from x.example (root@host.sender.example "
                     "[203.0.113.5] (may be forged)) by mx.example.org") ==
          "203.0.113.5|host.sender.example|x.example");
    // Exim: looked-up name first, HELO name in the comment.
    CHECK(relay_text("from dsl-1.isp.example ([203.0.113.7] helo=home) by "
                     "mx.example.org with esmtp (Exim 4.96)") ==
          "203.0.113.7|dsl-1.isp.example|home");
    CHECK(relay_text("from [203.0.113.7] (helo=home) by mx.example.org with "
                     "esmtp (Exim 4.96)") == "203.0.113.7||home");
    CHECK(relay_text("from relay.sender.example ([203.0.113.8]) by "
                     "mx.example.org with esmtp (Exim 4.96)") ==
          "203.0.113.8|relay.sender.example|relay.sender.example");
    // qmail: looked-up name or "unknown", HELO name, bare address.
    CHECK(relay_text("from unknown (HELO box) (203.0.113.3) by "
                     "mx.example.org with SMTP; 2 Jan 2002 18:55:00 -0000") ==
          "203.0.113.3||box");
    CHECK(relay_text("from out.sender.example (HELO out) (203.0.113.3) by "
                     "mx.example.org with SMTP") ==
          "203.0.113.3|out.sender.example|out");
    CHECK(relay_text("from out.sender.example (203.0.113.3) by mx") ==
          "203.0.113.3|out.sender.example|out.sender.example");
    // IPv6 as Postfix writes it.
    CHECK(relay_text("from mx.sender.example (mx.sender.example "
                     "[IPv6:2001:db8::25]) by mx.example.org") ==
          "2001:db8::25|mx.sender.example|mx.sender.example");
    // No address, no relay; not a from clause at all, none either.
    CHECK(relay_text("from mx.sender.example by mx.example.org") == "none");
    CHECK(relay_text("(qmail 5065 invoked by uid 507); 2 Jan 2002") == "none");
    CHECK(relay_text("from x ([not.an.address]) by y") == "none");
    CHECK(relay_text("") == "none");
    CHECK(relay_text("from (((((") == "none");
}

TEST_CASE("what the client chose cannot change how a field is read") {
    // A HELO name is one word, brackets and all: it cannot pose as the
    // receiver's comment naming a private address.
    CHECK(relay_text("from PC123(x[10.0.0.1]) (dsl-113-5.pool.isp.example "
                     "[203.0.113.5]) by mx.example.com (Postfix) with ESMTP "
                     "id 1; Mon, 1 Jan 2024 10:00:00 +0000") ==
          "203.0.113.5|dsl-113-5.pool.isp.example|PC123(x[10.0.0.1])");
    CHECK(!received::inside_hop("from PC123(x[10.0.0.1]) (dsl-1.isp.example "
                                "[203.0.113.5]) by mx.example.com with ESMTP"));
    // Nor a HELO or a recipient naming a fetch or a mail server program.
    CHECK(!received::inside_hop("from fetchmail (unknown [203.0.113.5]) by "
                                "mx.example.com with ESMTP id 1"));
    CHECK(!received::inside_hop("from with (unknown [203.0.113.5]) by "
                                "mx.example.com with ESMTP for <with "
                                "pop@example.com>; Mon, 1 Jan 2024"));
    CHECK(received::inside_hop("from mailbox.example [192.0.2.1] by "
                               "localhost with POP3 (fetchmail-6.4)"));
    CHECK(relay_text("from PC123 ([203.0.113.5]) by mx.example.com "
                     "(8.15.2/8.15.2) with ESMTP id 1 for "
                     "<exim@example.com>; Mon, 1 Jan 2024") ==
          "203.0.113.5||PC123");
    CHECK(relay_text("from mail.exim.example ([203.0.113.5]) by "
                     "mx.example.com (8.15.2) with ESMTP id 1") ==
          "203.0.113.5||mail.exim.example");
}

TEST_CASE("the handover hop is the first from the top outside the site") {
    auto tree = mime::parse(
        "Received: from localhost (localhost [127.0.0.1]) by mx.example.org "
        "(Postfix) with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Received: from mailbox.example [192.0.2.1] by localhost with IMAP "
        "(fetchmail-6.4); Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Received: from inner (inner [10.1.2.3]) by gw.example.org; "
        "Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Received: from bot (24-205-211-91.pool.isp.example "
        "[203.0.113.91]) by gw.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Received: from earlier.example (earlier.example [198.51.100.1]) by "
        "bot; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Subject: hi\r\n\r\nbody\r\n",
        {});
    REQUIRE(tree.ok());
    auto relay = received::handover(*tree);
    REQUIRE(relay);
    CHECK(relay->ip == "203.0.113.91");
    CHECK(relay->rdns == "24-205-211-91.pool.isp.example");
    CHECK(relay->helo == "bot");

    auto local = mime::parse("Received: from localhost (localhost "
                             "[127.0.0.1]) by mx; Mon, 1 Jan 2024\r\n"
                             "Subject: hi\r\n\r\nbody\r\n",
                             {});
    REQUIRE(local.ok());
    CHECK(!received::handover(*local));
}

TEST_CASE("home-line names are told from mail servers' names") {
    using received::dynamic_name;
    CHECK(dynamic_name("24-205-211-91.rno.isp.example", "203.0.113.91") ==
          false); // numbers of another address
    CHECK(dynamic_name("203-0-113-91.rno.isp.example", "203.0.113.91"));
    CHECK(dynamic_name("91.113.0.203.in.isp.example", "203.0.113.91"));
    CHECK(dynamic_name("adsl-17-226.jax.isp.example", "198.51.100.9"));
    CHECK(dynamic_name("ppp12.dialup.isp.example", "198.51.100.9"));
    CHECK(dynamic_name("c-98-1.hsd1.cable.isp.example", "198.51.100.9"));
    CHECK(dynamic_name("host.dynamic.isp.example", "198.51.100.9"));
    CHECK(!dynamic_name("mail.sender.example", "198.51.100.9"));
    CHECK(!dynamic_name("mx1.dynamics.example", "198.51.100.9"));
    CHECK(!dynamic_name("smtp.pool.example", "198.51.100.9"));
    CHECK(!dynamic_name("mta113.mail.example", "203.0.113.91"));
    // Words inside longer words, or in the provider's own domain under a
    // two-level suffix, are no home line.
    for (const char* name :
         {"mail.liverpool.ac.example", "smtp.poolsupplies.com.example",
          "mx1.cablelabs.co.example", "mail.dialogue.example.com",
          "mail.dynatrace.com.example"})
        CHECK(!dynamic_name(name, "203.0.113.5"));
    CHECK(dynamic_name("dialup-7.isp.co.example", "203.0.113.5"));
    CHECK(!dynamic_name("", "203.0.113.91"));
    CHECK(!dynamic_name("dsl", "not an address"));
    CHECK(!dynamic_name("[203.0.113.91]", "203.0.113.91"));
}
