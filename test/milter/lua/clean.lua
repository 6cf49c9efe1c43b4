-- A clean message is accepted as it is: SMFIR_ACCEPT, and no header operation at all
-- (sekisho never rewrites mail it has nothing to say about).
local t = dofile(lib)
local conn = t.connect()
t.deliver(conn, { file = mail, from = "taro@example.com", queue_id = queue_id })
t.expect_reply(conn, "a", "clean mail")
t.expect_unchanged(conn, "clean mail")
mt.disconnect(conn)
print("PASS")
