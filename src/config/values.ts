import path from 'node:path';
import { z } from 'zod';

/**
 * Value types of the configuration file, written the way mail admins write them in
 * main.cf: durations as "30s"/"5m", sizes as "50MiB", addresses as "host:port".
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Seconds as a number, or "250ms", "30s", "5m", "1h", "30d". Parsed to milliseconds. */
export const duration = z
  .union([z.number(), z.string()], { error: 'expected a duration such as 30s, 5m or 250ms' })
  .transform((value, ctx) => {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return Math.round(value * 1000);
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (m) {
      const ms = Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000));
      if (ms > 0) return ms;
    }
  }
  ctx.addIssue({ code: 'custom', message: `expected a positive duration such as 30s, 5m or 250ms, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

const SIZE_UNITS: Record<string, number> = {
  b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

/** Bytes as a number, or "10MiB", "50MB", "512k". */
export const byteSize = z
  .union([z.number(), z.string()], { error: 'expected a size such as 50MiB, 10MB or 1048576' })
  .transform((value, ctx) => {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value > 0) return value;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = SIZE_UNITS[(m?.[2] || 'b').toLowerCase()];
    if (m && unit) {
      const bytes = Math.floor(Number(m[1]) * unit);
      if (bytes > 0) return bytes;
    }
  }
  ctx.addIssue({ code: 'custom', message: `expected a positive size such as 50MiB, 10MB or 1048576, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:2525", "[::1]:2525", "0.0.0.0:25". Port 0 picks a free port (tests). */
export const listenAddress = z.string().transform((value, ctx): ListenAddress => {
  const parsed = parseHostPort(value);
  if (parsed) return parsed;
  ctx.addIssue({ code: 'custom', message: `expected host:port such as 127.0.0.1:2525 or [::1]:2525, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

/** Where the milter listens: TCP, or a unix socket (Postfix: `smtpd_milters = unix:/path`). */
export type MilterListen =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/**
 * "127.0.0.1:8891", "inet:127.0.0.1:8891" (Postfix's own spelling) or "unix:/run/sekisho/milter.sock"
 * (an absolute path: the daemon's working directory is not Postfix's).
 */
export const milterListen = z.string().transform((value, ctx): MilterListen => {
  const v = value.trim();
  if (v.startsWith('unix:')) {
    const p = v.slice('unix:'.length);
    if (path.isAbsolute(p) && p.length < 100) return { kind: 'unix', path: p };
    ctx.addIssue({ code: 'custom', message: `expected unix: and an absolute path under 100 characters, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const parsed = parseHostPort(v.startsWith('inet:') ? v.slice('inet:'.length) : v);
  if (parsed) return { kind: 'tcp', ...parsed };
  ctx.addIssue({ code: 'custom', message: `expected host:port such as 127.0.0.1:8891, or unix:/path, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

/** A file mode in octal, as chmod takes it: "0660", "660". */
export const fileMode = z
  .union([z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as 0660'), z.number().int().min(0).max(0o777)])
  .transform((v) => (typeof v === 'number' ? v : parseInt(v, 8)));

export type Upstream =
  | { readonly kind: 'smtp'; readonly host: string; readonly port: number }
  | { readonly kind: 'outbox'; readonly dir: string };

/** "smtp://host:port" relays to an MTA; "outbox:DIR" writes .eml files (relative to the working directory). */
export const upstream = z.string().transform((value, ctx): Upstream => {
  if (value.startsWith('smtp://')) {
    const hostPort = parseHostPort(value.slice('smtp://'.length).replace(/\/$/, ''));
    if (hostPort && hostPort.port > 0) return { kind: 'smtp', ...hostPort };
  } else if (value.startsWith('outbox:') && value.length > 'outbox:'.length) {
    return { kind: 'outbox', dir: path.resolve(value.slice('outbox:'.length)) };
  }
  ctx.addIssue({ code: 'custom', message: `expected smtp://host:port or outbox:DIR, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

function parseHostPort(value: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}
