-- A message over smtp.max_message_bytes cannot be scanned, and its bytes were not kept
-- (the MTA has the message): the policy's unscannable answer here is quarantine, which
-- the MTA carries out in either mode (SMFIR_QUARANTINE, then SMFIR_ACCEPT).
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "taro@example.com", queue_id = queue_id })
t.expect_reply(conn, "a", "oversized mail")
t.check(mt.eom_check(conn, MT_QUARANTINE), "quarantine requested")
t.check(mt.eom_check(conn, MT_HDRINSERT, "X-Sekisho-Verdict", t.value(conn, "unscannable"), 1), "X-Sekisho-Verdict: unscannable")
mt.disconnect(conn)
print("PASS")
