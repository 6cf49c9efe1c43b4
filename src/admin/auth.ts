import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Compares a presented secret with the configured one in constant time. Both are hashed
 * first: timingSafeEqual needs equal lengths, and comparing lengths directly would tell
 * an attacker how long the token is.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export const SESSION_COOKIE = 'sekisho_session';
/** An admin who walks away from the page is logged out after a working day. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** Only someone holding the token can make sessions; the cap stops a script holding it from filling memory (or the table). */
export const MAX_SESSIONS = 1000;

export interface Session {
  readonly id: string;
  /** Sent in a hidden field of every form and checked on every POST (a cross-site form cannot read it). */
  readonly csrf: string;
}

/**
 * Where web sessions live. One node: memory (a restart logs everyone out, which is what an
 * admin expects). Several nodes behind one name: a table in the shared database, so that
 * a login on one node is valid on every node and a logout ends it on all of them.
 */
export interface SessionStore {
  create(): Promise<Session>;
  /** The live session a request's cookie names; touching it restarts its idle time. */
  find(req: IncomingMessage): Promise<Session | undefined>;
  end(session: Session): Promise<void>;
  /** Every session ends (a new admin.token). */
  clear(): Promise<void>;
}

interface MemorySession extends Session {
  lastSeen: number;
}

/** Web sessions in this process's memory. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, MemorySession>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(): Promise<Session> {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const session: MemorySession = { id: randomId(), csrf: randomId(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  async find(req: IncomingMessage): Promise<Session | undefined> {
    const id = sessionIdOf(req);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  async end(session: Session): Promise<void> {
    this.sessions.delete(session.id);
  }

  async clear(): Promise<void> {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const cutoff = this.now() - SESSION_IDLE_MS;
    for (const [id, s] of this.sessions) if (s.lastSeen < cutoff) this.sessions.delete(id);
  }
}

/** The session cookie's value, when the request has one. */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  return cookie(req, SESSION_COOKIE);
}

export function csrfMatches(session: Session, presented: string | null): boolean {
  return presented !== null && sameSecret(presented, session.csrf);
}

/**
 * HttpOnly: no script can read it. SameSite=Strict: no other site's page can make the
 * browser send it. Secure only over TLS, or a plain-HTTP admin listener could never log in.
 */
export function sessionCookie(session: Session, secure: boolean): string {
  return `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** 256 random bits, URL- and cookie-safe. */
export function randomId(): string {
  return randomBytes(32).toString('base64url');
}
