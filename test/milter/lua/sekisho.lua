-- Helpers shared by the miltertest scripts of test/milter/miltertest.test.ts. A script
-- loads them with `local t = dofile(lib)`; the test passes its inputs with -D:
--   port   the milter's TCP port (sekisho serve, milter.listen 127.0.0.1:0)
--   lib    this file
--   mail   a message file (CRLF lines), sent the way Postfix sends it
--
-- miltertest prints nothing when a script fails (error() only sets the exit status), so
-- every check prints its own line: "ok - …" or "FAIL: …", which the test shows on failure.

local t = {}

function t.fail(message)
  io.stdout:write("FAIL: " .. message .. "\n")
  io.stdout:flush()
  os.exit(1)
end

function t.check(condition, message)
  if not condition then t.fail(message) end
  print("ok - " .. message)
end

-- The reply letter ('a', 'd', 'q', 'y', 't', 'c') of the last reply on conn.
function t.reply(conn)
  local r = mt.getreply(conn)
  if r == nil or r == 0 then return "(none)" end
  return string.char(math.tointeger(r) or r)
end

function t.expect_reply(conn, letter, what)
  local got = t.reply(conn)
  t.check(got == letter, what .. ": reply '" .. letter .. "' (got '" .. got .. "')")
end

-- Connects (retrying while the daemon starts), negotiates, and sends the connection and
-- HELO events with the macros Postfix gives at those stages.
function t.connect()
  local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
  if conn == nil then t.fail("cannot connect to the milter on port " .. tostring(port)) end
  mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.net", "{client_addr}", "192.0.2.10", "{client_name}", "client.example")
  if mt.conninfo(conn, "client.example", "192.0.2.10") ~= nil then t.fail("mt.conninfo") end
  if mt.helo(conn, "client.example") ~= nil then t.fail("mt.helo") end
  return conn
end

-- Whether the filter asked for header values with their leading space (SMFIP_HDR_LEADSPC):
-- then the MTA sends, and the filter writes, the value exactly as it follows the colon.
function t.leading_space(conn)
  return mt.test_option(conn, SMFIP_HDR_LEADSPC)
end

-- A header value as the filter writes it: with its own leading space under HDR_LEADSPC.
function t.value(conn, v)
  if t.leading_space(conn) then return " " .. v end
  return v
end

function t.read_file(path)
  local f = io.open(path, "rb")
  if f == nil then t.fail("cannot read " .. path) end
  local data = f:read("a")
  f:close()
  return data
end

-- The header fields of a CRLF message as {name, value} pairs: value is everything after
-- the colon (leading space included), folded lines joined by a bare "\n", as Postfix
-- passes multi-line headers to a milter.
local function fields(head)
  local out = {}
  for line in (head .. "\r\n"):gmatch("(.-)\r\n") do
    if line:match("^[ \t]") and #out > 0 then
      out[#out].value = out[#out].value .. "\n" .. line
    elseif line ~= "" then
      local name, value = line:match("^([^:]+):(.*)$")
      if name == nil then t.fail("not a header line: " .. line) end
      out[#out + 1] = { name = name, value = value }
    end
  end
  return out
end

-- MAIL (with the queue id macro Postfix has by then), each RCPT, then the message file:
-- its header fields, EOH and the body in chunks of at most 65535 bytes (MILTER_CHUNK_SIZE).
-- Stops before EOM; `body_limit` sends only that many body bytes (an aborted message).
function t.send_message(conn, o)
  mt.macro(conn, SMFIC_MAIL, "i", o.queue_id or "TESTQID", "{mail_addr}", o.from)
  if mt.mailfrom(conn, "<" .. o.from .. ">") ~= nil then t.fail("mt.mailfrom") end
  for _, rcpt in ipairs(o.rcpts or { "user@example.net" }) do
    mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", rcpt)
    if mt.rcptto(conn, "<" .. rcpt .. ">") ~= nil then t.fail("mt.rcptto " .. rcpt) end
  end
  local data = t.read_file(o.file)
  local split = data:find("\r\n\r\n", 1, true)
  if split == nil then t.fail(o.file .. " has no empty line after its header") end
  local leadspc = t.leading_space(conn)
  for _, f in ipairs(fields(data:sub(1, split - 1))) do
    local value = f.value
    -- Without HDR_LEADSPC the MTA eats the one space after the colon.
    if not leadspc then value = value:gsub("^ ", "", 1) end
    if mt.header(conn, f.name, value) ~= nil then t.fail("mt.header " .. f.name) end
  end
  if mt.eoh(conn) ~= nil then t.fail("mt.eoh") end
  local body = data:sub(split + 4)
  if o.body_limit then body = body:sub(1, o.body_limit) end
  local at = 1
  while at <= #body do
    if mt.bodystring(conn, body:sub(at, at + 65534)) ~= nil then t.fail("mt.bodystring") end
    at = at + 65535
  end
end

-- The whole message and EOM; returns once the filter has answered.
function t.deliver(conn, o)
  t.send_message(conn, o)
  if mt.eom(conn) ~= nil then t.fail("mt.eom (no answer from the filter?)") end
end

-- No header operation and no quarantine at all in the EOM answer.
function t.expect_unchanged(conn, what)
  t.check(not mt.eom_check(conn, MT_HDRINSERT), what .. ": no header inserted")
  t.check(not mt.eom_check(conn, MT_HDRADD), what .. ": no header added")
  t.check(not mt.eom_check(conn, MT_HDRCHANGE), what .. ": no header changed")
  t.check(not mt.eom_check(conn, MT_HDRDELETE), what .. ": no header deleted")
  t.check(not mt.eom_check(conn, MT_QUARANTINE), what .. ": no quarantine")
end

return t
