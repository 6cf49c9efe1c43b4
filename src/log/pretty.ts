import { Writable } from 'node:stream';

const LEVEL_COLOUR: Record<string, string> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' };

/**
 * `serve --pretty`: the JSON log lines made readable in a terminal, one line per record.
 * A transaction reads "tx <id> <client> <from> → <to> <verdict>/<action> <outcome> <reply>"
 * and everything else "<msg> key=value …". Written here rather than with pino-pretty:
 * a line formatter does not need its thirteen packages and worker-thread transport.
 */
export class PrettyLog extends Writable {
  private partial = '';

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly colour: boolean,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.out.write(`${this.format(line)}\n`);
    callback();
  }

  format(line: string): string {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line;
    }
    const { level, time, msg, pid: _pid, hostname: _hostname, ...rest } = record;
    const when = typeof time === 'string' ? time.slice(11, 23) : '';
    const name = String(level ?? '').toUpperCase().padEnd(5);
    const tag = this.colour ? `\u001b[${LEVEL_COLOUR[String(level)] ?? '0'}m${name}\u001b[0m` : name;
    const text = rest['event'] === 'transaction' ? transaction(rest) : `${String(msg ?? '')}${fields(rest)}`;
    return `${when} ${tag} ${text}`;
  }
}

function transaction(r: Record<string, unknown>): string {
  const client = r['client'] as { ip?: string } | undefined;
  const rcpt = (r['rcpt'] as Array<{ to: string }> | undefined)?.map((x) => x.to).join(',') ?? '';
  const latency = r['latency_ms'] as { total?: number } | undefined;
  const findings = (r['findings'] as string[] | undefined) ?? [];
  const parts = [
    `tx ${String(r['tx'])}`,
    client?.ip ?? '?',
    `<${String(r['mail_from'] ?? '')}> → ${rcpt}`,
    r['verdict'] ? `${String(r['verdict'])}/${String(r['action'])}` : '',
    String(r['outcome'] ?? ''),
    r['reply'] ? `"${String(r['reply'])}"` : '',
    findings.length > 0 ? `[${findings.join(' ')}]` : '',
    latency?.total !== undefined ? `${latency.total} ms` : '',
  ];
  return parts.filter((p) => p !== '').join(' ');
}

function fields(rest: Record<string, unknown>): string {
  const out = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return out.length > 0 ? ` ${out.join(' ')}` : '';
}
