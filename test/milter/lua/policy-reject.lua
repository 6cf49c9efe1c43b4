-- A message the policy rejects: SMFIR_REPLYCODE with the SMTP proxy's very reply.
-- -D code, -D enhanced, -D text: that reply's parts.
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "service@paypa1-secure.example", queue_id = queue_id })
t.expect_reply(conn, "y", "rejected phish")
t.check(mt.eom_check(conn, MT_SMTPREPLY, code, enhanced, text), "reply \"" .. code .. " " .. enhanced .. " " .. text .. "\"")
t.check(not mt.eom_check(conn, MT_HDRINSERT), "no header inserted into a rejected message")
t.check(not mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
print("PASS")
