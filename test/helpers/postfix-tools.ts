import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort, run, startReaper, tempDir, uidOf, waitForPort, type CommandResult, type Reaper } from './processes.js';
import { requireTool } from './tools.js';

/**
 * Postfix's test tools (smtp-sink, smtp-source) and swaks, driven from tests. A missing
 * tool is an error, never a skip: a skipped interop test is a green result that proves nothing.
 */
// ---------------------------------------------------------------------------------------
// smtp-sink

export interface SinkDump {
  readonly file: string;
  readonly clientAddr: string | undefined;
  readonly heloArgs: string | undefined;
  readonly mailArgs: string | undefined;
  readonly rcptArgs: readonly string[];
  /** Everything after smtp-sink's own header lines (its Received header included). */
  readonly content: string;
}

/**
 * Postfix's smtp-sink on a free port. With `dump`, each transaction is written to its own
 * file (`-d DIR/%H%M%S.`), which starts with X-Client-Addr / X-Helo-Args / X-Mail-Args /
 * X-Rcpt-Args lines; `-c` makes it print running counters, read by {@link counters}.
 */
export class SmtpSink {
  private stdout = '';
  private stderr = '';
  private exit: string | undefined;
  private readonly exited: Promise<void>;
  private readonly reaper: Reaper;

  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    readonly dir: string,
    readonly dumpDir: string | undefined,
  ) {
    proc.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('latin1')));
    proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.exit = `smtp-sink exited (code ${code}, signal ${signal}): ${this.stderr.trim()}`;
        resolve();
      }),
    );
    this.reaper = startReaper({ pids: proc.pid ? [proc.pid] : [], dirs: [dir] });
  }

  static async start(options: { dump?: boolean; hostname?: string; port?: number; extraArgs?: readonly string[] } = {}): Promise<SmtpSink> {
    const bin = requireTool('smtp-sink');
    const dir = tempDir('smtp-sink');
    const root = process.getuid?.() === 0;
    let dumpDir: string | undefined;
    const args: string[] = ['-c'];
    // smtp-sink refuses to run as root without dropping privileges.
    if (root) args.push('-u', 'nobody');
    if (options.hostname) args.push('-h', options.hostname);
    if (options.dump) {
      dumpDir = path.join(dir, 'dump');
      mkdirSync(dumpDir, { mode: 0o755 });
      if (root) chownSync(dumpDir, uidOf('nobody'), -1);
      args.push('-d', `${dumpDir}/%H%M%S.`);
    }
    args.push(...(options.extraArgs ?? []));
    const port = options.port ?? (await freePort());
    args.push(`127.0.0.1:${port}`, '256');
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = new SmtpSink(proc, port, dir, dumpDir);
    try {
      await waitForPort(port, 10_000, () => sink.exit);
    } catch (err) {
      await sink.stop();
      throw err;
    }
    return sink;
  }

  /** smtp-sink's own counters (`-c`): sessions ended, QUITs, and messages ("." received). */
  counters(): { sessions: number; quits: number; messages: number } {
    const all = [...this.stdout.matchAll(/sess=(\d+) quit=(\d+) mesg=(\d+)/g)];
    const last = all[all.length - 1];
    return { sessions: Number(last?.[1] ?? 0), quits: Number(last?.[2] ?? 0), messages: Number(last?.[3] ?? 0) };
  }

  dumpFiles(): string[] {
    if (!this.dumpDir) throw new Error('smtp-sink was started without dump');
    return readdirSync(this.dumpDir).map((f) => path.join(this.dumpDir!, f));
  }

  dumps(): SinkDump[] {
    return this.dumpFiles().map(parseSinkDump);
  }

  async stop(): Promise<void> {
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.reaper.cancel();
  }
}

function parseSinkDump(file: string): SinkDump {
  const text = readFileSync(file, 'latin1');
  const lines = text.split('\n');
  // smtp-sink's own lines end where its Received header starts.
  const received = lines.findIndex((l) => l.startsWith('Received: '));
  const own = received === -1 ? lines : lines.slice(0, received);
  const field = (name: string) => own.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2).replace(/\r$/, ''));
  return {
    file,
    clientAddr: field('X-Client-Addr')[0],
    heloArgs: field('X-Helo-Args')[0],
    mailArgs: field('X-Mail-Args')[0],
    rcptArgs: field('X-Rcpt-Args'),
    content: received === -1 ? text : lines.slice(received).join('\n'),
  };
}

// ---------------------------------------------------------------------------------------
// smtp-source

export interface SmtpSourceOptions {
  readonly port: number;
  readonly messages: number;
  /** Parallel sessions (-s). */
  readonly sessions: number;
  readonly from: string;
  readonly to: string;
  /** Payload bytes per message (-l). */
  readonly length?: number;
  /** HELO name and default domain (-M). */
  readonly heloName?: string;
  readonly subject?: string;
  /** Send all of a session's messages over one connection (-d). */
  readonly reuseConnections?: boolean;
  readonly timeoutMs?: number;
}

/** Runs Postfix's smtp-source against 127.0.0.1:port; throws when it does not exit 0. */
export async function runSmtpSource(o: SmtpSourceOptions): Promise<CommandResult> {
  const bin = requireTool('smtp-source');
  const args = ['-s', String(o.sessions), '-m', String(o.messages), '-f', o.from, '-t', o.to];
  if (o.length !== undefined) args.push('-l', String(o.length));
  if (o.heloName) args.push('-M', o.heloName);
  if (o.subject) args.push('-S', o.subject);
  if (o.reuseConnections) args.push('-d');
  args.push(`127.0.0.1:${o.port}`);
  const result = await run(bin, args, o.timeoutMs ?? 120_000);
  if (result.code !== 0) throw new Error(`smtp-source ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

// ---------------------------------------------------------------------------------------
// swaks

/** One command swaks sent and the reply it got (the DATA content's reply is under "."). */
export interface SwaksExchange {
  readonly command: string;
  readonly code: number;
  /** Reply lines without the "<-  " / "<** " prefixes, joined by "\n". */
  readonly reply: string;
  /** swaks marked the reply as unexpected ("<**"). */
  readonly failed: boolean;
}

export interface SwaksResult {
  readonly code: number;
  readonly transcript: string;
  readonly exchanges: readonly SwaksExchange[];
  /** The reply to the first command starting with `prefix` (case-insensitive). */
  replyTo(prefix: string): SwaksExchange | undefined;
}

export interface SwaksOptions {
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly ehlo: string;
  /** Message file (headers and body); swaks dot-stuffs it and ends lines with CRLF. */
  readonly dataFile?: string;
  readonly extraArgs?: readonly string[];
}

/** Sends one message with swaks and returns its transcript, parsed into command/reply pairs. */
export async function runSwaks(o: SwaksOptions): Promise<SwaksResult> {
  const bin = requireTool('swaks');
  const dir = tempDir('swaks');
  try {
    const output = path.join(dir, 'transcript');
    const args = ['--server', `127.0.0.1:${o.port}`, '--ehlo', o.ehlo, '--from', o.from, '--to', o.to.join(','), '--timeout', '30s', '--output-file', output];
    if (o.dataFile) args.push('--data', `@${o.dataFile}`);
    args.push(...(o.extraArgs ?? []));
    const result = await run(bin, args, 60_000);
    let transcript = '';
    try {
      transcript = readFileSync(output, 'latin1');
    } catch {
      transcript = result.stdout + result.stderr;
    }
    const exchanges = parseSwaksTranscript(transcript);
    return {
      code: result.code,
      transcript,
      exchanges,
      replyTo: (prefix) => exchanges.find((e) => e.command.toUpperCase().startsWith(prefix.toUpperCase())),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseSwaksTranscript(transcript: string): SwaksExchange[] {
  const exchanges: SwaksExchange[] = [];
  let command = '(greeting)';
  let reply: string[] = [];
  let failed = false;
  for (const raw of transcript.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith(' -> ')) {
      command = line.slice(4);
      continue;
    }
    const m = /^<(-|\*\*) {0,2}(.*)$/.exec(line);
    if (!m) continue;
    const text = m[2] ?? '';
    reply.push(text);
    failed ||= m[1] === '**';
    if (/^\d{3}(?: |$)/.test(text)) {
      exchanges.push({ command, code: Number(text.slice(0, 3)), reply: reply.join('\n'), failed });
      reply = [];
      failed = false;
    }
  }
  return exchanges;
}
