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
/** Only someone holding the token can make sessions; the cap stops a script holding it from filling memory. */
const MAX_SESSIONS = 1000;

export interface Session {
  readonly id: string;
  /** Sent in a hidden field of every form and checked on every POST (a cross-site form cannot read it). */
  readonly csrf: string;
  lastSeen: number;
}

/** Web sessions, in memory: a restart or a new token logs everyone out, which is what an admin expects. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(): Session {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const session: Session = { id: randomId(), csrf: randomId(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session a request's cookie names; touching it restarts its idle time. */
  find(req: IncomingMessage): Session | undefined {
    const id = cookie(req, SESSION_COOKIE);
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

  end(session: Session): void {
    this.sessions.delete(session.id);
  }

  clear(): void {
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
function randomId(): string {
  return randomBytes(32).toString('base64url');
}
