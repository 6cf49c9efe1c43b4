/**
 * xtext (RFC 3461 §4): printable ASCII except "+" and "=" stays, every other octet
 * becomes "+XX". Used for ENVID, ORCPT and XFORWARD values, which smtp-server hands us
 * decoded and the next hop must get encoded again.
 */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += '+' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
