-- A brand phish the policy tags: the Subject gets the tag (CHGHEADER Subject #1), the
-- verdict headers go in at the top (INSHEADER at 0, 1, 2, in that order), and the message
-- is accepted. -D subject: the Subject as sent; -D prefix: the tag.
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "bounce@mailer.example", queue_id = queue_id })
t.expect_reply(conn, "a", "tagged phish")
t.check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", t.value(conn, prefix .. subject)), "Subject changed to \"" .. prefix .. subject .. "\"")
t.check(mt.eom_check(conn, MT_HDRINSERT, "X-Sekisho-Verdict", t.value(conn, "malicious"), 1), "X-Sekisho-Verdict: malicious inserted at index 1, under the MTA's own Received")
t.check(mt.eom_check(conn, MT_HDRINSERT, "X-Sekisho-Score", t.value(conn, "100"), 2), "X-Sekisho-Score: 100 inserted after it")
t.check(mt.eom_check(conn, MT_HDRINSERT, "X-Sekisho-Findings"), "X-Sekisho-Findings inserted")
local findings = mt.getheader(conn, "X-Sekisho-Findings", 0) or ""
t.check(findings:find("brand/display-name=high", 1, true) ~= nil, "the findings name brand/display-name (" .. findings:gsub("\n", "\\n") .. ")")
-- Folded values go with a bare LF between lines, as the MTA stores them: never CR.
t.check(findings:find("\r", 1, true) == nil, "no CR in a header value")
t.check(not mt.eom_check(conn, MT_HDRDELETE), "nothing deleted")
t.check(not mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
print("PASS")
