/**
 * RC4 keystream. Node 20's OpenSSL 3 keeps RC4 in the legacy provider, which may be absent,
 * and legacy Office encryption (MS-OFFCRYPTO 2.3.5, 2.3.6) needs nothing else.
 */
export function rc4Keystream(key: Buffer, length: number): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  let j = 0;
  for (let i = 0; i < 256; i++) {
    const si = s[i] ?? 0;
    j = (j + si + (key[i % key.length] ?? 0)) & 0xff;
    s[i] = s[j] ?? 0;
    s[j] = si;
  }
  const out = Buffer.alloc(length);
  let a = 0;
  let b = 0;
  for (let n = 0; n < length; n++) {
    a = (a + 1) & 0xff;
    const sa = s[a] ?? 0;
    b = (b + sa) & 0xff;
    const sb = s[b] ?? 0;
    s[a] = sb;
    s[b] = sa;
    out[n] = s[(sa + sb) & 0xff] ?? 0;
  }
  return out;
}

export function xor(data: Buffer, keystream: Buffer, keystreamOffset = 0): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) ^ (keystream[keystreamOffset + i] ?? 0);
  return out;
}
