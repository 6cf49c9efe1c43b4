/**
 * SMTP transparency (RFC 5321 §4.5.2): a line that starts with "." is sent with one more
 * dot. The split points are exactly where smtp-server's receiver removes a dot (a "."
 * right after LF, bare or CRLF, or at the very start), so stuffing what it delivered
 * gives the next hop the same message content the client sent: no byte is normalised.
 *
 * Returns slices of `message` (no copy) with a one-byte "." buffer between them.
 */
const DOT = Buffer.from('.');
const LF_DOT = Buffer.from('\n.');

export function dotStuff(message: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  if (message[0] === 0x2e) pieces.push(DOT);
  for (let at = message.indexOf(LF_DOT); at !== -1; at = message.indexOf(LF_DOT, at + 1)) {
    pieces.push(message.subarray(from, at + 1), DOT);
    from = at + 1;
  }
  pieces.push(message.subarray(from));
  return pieces;
}

const END = Buffer.from('.\r\n');
const CRLF_END = Buffer.from('\r\n.\r\n');

/**
 * The end-of-data mark. Content always ends with CRLF when it came through smtp-server
 * (the CRLF before "." belongs to the last line); only an empty or edited message needs
 * one added, because the mark must start a line.
 */
export function endOfData(message: Buffer): Buffer {
  const n = message.length;
  if (n === 0 || (n >= 2 && message[n - 2] === 0x0d && message[n - 1] === 0x0a)) return END;
  return CRLF_END;
}
