-- A sender must not forge sekisho's verdict: a clean message carrying X-Sekisho-Verdict
-- and X-Sekisho-Score of its own loses both (CHGHEADER with an empty value deletes), and
-- nothing else changes.
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "taro@example.com", queue_id = queue_id })
t.expect_reply(conn, "a", "clean mail with a forged verdict")
t.check(mt.eom_check(conn, MT_HDRDELETE, "X-Sekisho-Verdict"), "forged X-Sekisho-Verdict deleted")
t.check(mt.eom_check(conn, MT_HDRDELETE, "X-Sekisho-Score"), "forged X-Sekisho-Score deleted")
t.check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "Subject untouched")
t.check(not mt.eom_check(conn, MT_HDRINSERT), "no verdict headers for clean mail")
t.check(not mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
print("PASS")
