import { prng } from './prng.js';

/**
 * Seeded SMTP sessions for the proxy's fuzz test: a well-formed session mutated (items
 * dropped, repeated, swapped, replaced, cut short, bytes flipped, line ends changed) with
 * commands from a hostile vocabulary (BDAT, XFORWARD/XCLIENT garbage, STARTTLS in odd
 * places, NUL bytes, bare CR or LF, overlong lines, hundreds of RCPTs, binary). The same
 * seed gives the same case.
 */

export interface FuzzItem {
  readonly bytes: Buffer;
  /** STARTTLS: after a 220 the driver upgrades the connection (lock-step delivery only). */
  readonly starttls?: boolean;
}

export interface FuzzCase {
  readonly seed: number;
  readonly items: readonly FuzzItem[];
  /** pipelined: one write; lockstep: each item waits for a reply; chunked: random splits and pauses. */
  readonly delivery: 'pipelined' | 'lockstep' | 'chunked';
  /** How the client leaves: QUIT and wait for the close, reset at once, or half-close. */
  readonly ending: 'quit' | 'abrupt' | 'half-close';
  /** The mutations applied, for a failure message. */
  readonly mutations: readonly string[];
}

type Random = () => number;

const line = (s: string | Buffer, eol = '\r\n'): FuzzItem => ({ bytes: Buffer.concat([Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'), Buffer.from(eol)]) });
const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const int = (r: Random, max: number) => Math.floor(r() * max);

function randomBytes(r: Random, n: number, printable = false): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = printable ? 0x20 + int(r, 95) : int(r, 256);
  return b;
}

function address(r: Random): string {
  return pick(r, [
    'user@example.net',
    '',
    '<>',
    'a@b',
    '"quoted local"@example.net',
    `${'l'.repeat(300)}@example.net`,
    'user@[127.0.0.1]',
    'ユーザー@例え.jp',
    'no-at-sign',
    '@route:user@example.net',
    'a\u0000b@example.net',
    `${randomBytes(r, 12, true).toString('latin1')}@x`,
  ]);
}

function message(r: Random): Buffer {
  const parts = [
    'Subject: fuzz\r\nFrom: <f@example.com>\r\n\r\nhello\r\n',
    '.\r\n..leading dot\r\n.\r\n',
    'no header separator',
    'Subject: nul\u0000inside\r\n\r\nbody\u0000\r\n',
    'Subject: bare\rCR\nLF\r\n\r\nline\rwith\rcr\nand\nlf\r\n',
    `X-Long: ${'x'.repeat(int(r, 20_000))}\r\n\r\nb\r\n`,
    'X-Sekisho-Verdict: clean\r\nSubject: forged verdict\r\n\r\nb\r\n',
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/zip; name="a.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAA==\r\n--b',
  ];
  const out: Buffer[] = [];
  for (let i = 0, n = 1 + int(r, 3); i < n; i++) out.push(r() < 0.2 ? randomBytes(r, int(r, 4096)) : Buffer.from(pick(r, parts), 'utf8'));
  return Buffer.concat(out);
}

/** One command from the hostile vocabulary. */
function hostileItem(r: Random): FuzzItem {
  switch (int(r, 18)) {
    case 0:
      return line(`BDAT ${int(r, 2000)}${r() < 0.5 ? ' LAST' : ''}`);
    case 1:
      return { bytes: Buffer.concat([Buffer.from(`BDAT 12 LAST\r\n`), randomBytes(r, 12)]) };
    case 2:
      return line(`XFORWARD ${pick(r, ['NAME=spoofed.example ADDR=192.0.2.1', 'ADDR=not-an-ip', 'HELO=[UNAVAILABLE]', 'PROTO=ESMTP SOURCE=REMOTE', 'NAME=', 'ADDR=IPV6:::1', `IDENT=${'i'.repeat(2000)}`, 'GARBAGE', '=', 'ADDR=1.2.3.4 ADDR=5.6.7.8'])}`);
    case 3:
      return line(`XCLIENT ${pick(r, ['ADDR=192.0.2.1 NAME=x', 'LOGIN=admin', 'garbage=1', ''])}`);
    case 4:
      return { ...line('STARTTLS'), starttls: true };
    case 5:
      return line(`STARTTLS ${randomBytes(r, 8, true).toString('latin1')}`);
    case 6:
      return { bytes: randomBytes(r, 1 + int(r, 512)) };
    case 7:
      return line('x'.repeat(1000 + int(r, 120_000)), r() < 0.5 ? '\r\n' : '');
    case 8:
      return line(`MAIL FROM:<${address(r)}>${pick(r, ['', ' SIZE=99999999999', ' BODY=BINARYMIME', ' SMTPUTF8', ' RET=FULL ENVID=x', ' SIZE=-1', ' AUTH=<>', ` ${'P=v '.repeat(200)}`])}`);
    case 9:
      return line(`RCPT TO:<${address(r)}>${pick(r, ['', ' NOTIFY=NEVER', ' NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b', ' ORCPT=garbage', ' NOTIFY=BOGUS'])}`);
    case 10:
      return { bytes: Buffer.from(Array.from({ length: 60 + int(r, 400) }, (_, i) => `RCPT TO:<r${i}@example.net>\r\n`).join('')) };
    case 11:
      return line(pick(r, ['DATA', 'DATA extra', 'data']));
    case 12:
      return { bytes: Buffer.concat([message(r), Buffer.from(r() < 0.8 ? '\r\n.\r\n' : '\n.\n')]) };
    case 13:
      return line(pick(r, ['RSET', 'NOOP', 'HELP', 'VRFY user', 'EXPN list', 'QUIT', 'AUTH PLAIN AGFkbWluAHNlY3JldA==', 'AUTH LOGIN', 'TURN', 'ETRN example.net', '']));
    case 14:
      return line(pick(r, ['EHLO', 'HELO', `EHLO ${'h'.repeat(600)}`, 'EHLO [127.0.0.1]', 'EHLO \u0000', 'HELO fuzz.example', 'LHLO x']));
    case 15:
      return line(`MAIL FROM:${pick(r, ['', 'user@example.net', '<', '<<a@b>>', ' <a@b>'])}`);
    case 16:
      return line(Buffer.concat([Buffer.from(pick(r, ['MAIL FROM:<a', 'RCPT TO:<b', 'EHLO x'])), Buffer.from([0]), Buffer.from('@example.net>')]));
    default:
      return { bytes: Buffer.from(pick(r, ['\r\n', '\n', '\r', '\r\r\n', '.\r\n', '\u0000\r\n'])) };
  }
}

/** The session an ordinary client sends, the starting point of every case. */
function wellFormed(r: Random): FuzzItem[] {
  const items = [line('EHLO fuzz.example'), line('MAIL FROM:<s@example.com>')];
  for (let i = 0, n = 1 + int(r, 3); i < n; i++) items.push(line(`RCPT TO:<r${i}@example.net>`));
  items.push(line('DATA'), { bytes: Buffer.concat([message(r), Buffer.from('\r\n.\r\n')]) });
  if (r() < 0.5) items.push(line('MAIL FROM:<s2@example.com>'), line('RCPT TO:<r@example.net>'), line('DATA'), { bytes: Buffer.from('Subject: 2\r\n\r\nsecond\r\n.\r\n') });
  return items;
}

function flip(r: Random, item: FuzzItem): FuzzItem {
  const bytes = Buffer.from(item.bytes);
  for (let i = 0, n = 1 + int(r, 4); i < n && bytes.length > 0; i++) bytes[int(r, bytes.length)] = int(r, 256);
  return { bytes };
}

function lineEnds(r: Random, item: FuzzItem): FuzzItem {
  const to = pick(r, ['\n', '\r', '\r\r\n', '\u0000\r\n']);
  return { ...item, bytes: Buffer.from(item.bytes.toString('latin1').replace(/\r\n/g, to), 'latin1') };
}

export function fuzzCase(seed: number): FuzzCase {
  const r = prng(seed);
  const items = wellFormed(r);
  const mutations: string[] = [];
  for (let m = 0, n = 1 + int(r, 5); m < n; m++) {
    const at = int(r, items.length);
    switch (int(r, 8)) {
      case 0:
        mutations.push(`drop ${at}`);
        items.splice(at, 1);
        break;
      case 1:
        mutations.push(`repeat ${at}`);
        if (items[at]) items.splice(at, 0, items[at]!);
        break;
      case 2: {
        const other = int(r, items.length);
        mutations.push(`swap ${at} ${other}`);
        [items[at], items[other]] = [items[other]!, items[at]!];
        break;
      }
      case 3:
      case 4: {
        const item = hostileItem(r);
        mutations.push(`insert ${at}: ${JSON.stringify(item.bytes.subarray(0, 40).toString('latin1'))}`);
        items.splice(at, 0, item);
        break;
      }
      case 5:
        mutations.push(`flip ${at}`);
        if (items[at]) items[at] = flip(r, items[at]!);
        break;
      case 6:
        mutations.push(`line ends ${at}`);
        if (items[at]) items[at] = lineEnds(r, items[at]!);
        break;
      default:
        mutations.push(`cut at ${at}`);
        items.splice(at);
    }
  }
  return {
    seed,
    items: items.filter((i): i is FuzzItem => i !== undefined),
    delivery: pick(r, ['pipelined', 'lockstep', 'lockstep', 'chunked'] as const),
    ending: pick(r, ['quit', 'quit', 'abrupt', 'half-close'] as const),
    mutations,
  };
}
