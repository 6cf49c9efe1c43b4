-- A zipped macro workbook is quarantined. -D mode=store: sekisho holds it in its own store
-- (durable before the answer) and tells the MTA to drop its copy: SMFIR_DISCARD, nothing
-- else. -D mode=hold: SMFIR_QUARANTINE (the MTA's hold queue) with the verdict headers,
-- then SMFIR_ACCEPT, since quarantine is not itself a verdict.
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "billing@example.com", queue_id = queue_id })
if mode == "store" then
  t.expect_reply(conn, "d", "macro mail, store mode")
  t.expect_unchanged(conn, "macro mail, store mode")
elseif mode == "hold" then
  t.expect_reply(conn, "a", "macro mail, hold mode")
  t.check(mt.eom_check(conn, MT_QUARANTINE), "quarantine requested")
  t.check(mt.eom_check(conn, MT_HDRINSERT, "X-Sekisho-Verdict"), "X-Sekisho-Verdict inserted, for the admin who looks in the hold queue")
  local findings = mt.getheader(conn, "X-Sekisho-Findings", 0) or ""
  t.check(findings:find("macro/vba=", 1, true) ~= nil, "X-Sekisho-Findings names macro/vba (" .. findings:gsub("\n", "\\n") .. ")")
else
  t.fail("-D mode=store|hold, got " .. tostring(mode))
end
mt.disconnect(conn)
print("PASS")
