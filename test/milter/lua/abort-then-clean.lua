-- The MTA gives up on a message half way (SMFIC_ABORT: the client sent RSET or went
-- away); the next message on the same milter connection is a new transaction and a
-- clean one is accepted untouched. -D phish: a message sekisho would tag, aborted;
-- -D mail: the clean one.
local t = dofile(lib)
local conn = t.connect()
t.send_message(conn, { file = phish, from = "bounce@mailer.example", queue_id = "ABORTED1", body_limit = 40 })
if mt.abort(conn) ~= nil then t.fail("mt.abort") end
print("ok - first message aborted after 40 body bytes")
t.deliver(conn, { file = mail, from = "taro@example.com", queue_id = queue_id })
t.expect_reply(conn, "a", "clean mail after the abort")
t.expect_unchanged(conn, "clean mail after the abort")
mt.disconnect(conn)
print("PASS")
