import { sameSecret } from './auth.js';

/**
 * Per-client-IP backoff on wrong admin tokens (API bearer, web login, metrics token). The
 * token is long enough that guessing it is hopeless, but an unthrottled endpoint still lets
 * a script try millions, and fills the log with noise that hides a real attack. After a few
 * free mistakes (an admin mistyping) each further failure doubles the time that IP must
 * wait, up to a cap; a success forgets the IP. Bounded memory: the oldest IPs are dropped.
 */

/** Mistakes allowed before the backoff starts: an admin mistyping, a stale token in a script. */
const FREE_FAILURES = 5;
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 15 * 60 * 1000;
/** A client quiet this long since its last failure starts afresh. */
const FORGET_AFTER_MS = 60 * 60 * 1000;
const MAX_CLIENTS = 10_000;

interface Record {
  failures: number;
  last: number;
  blockedUntil: number;
}

export class AuthThrottle {
  private readonly clients = new Map<string, Record>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds the client must still wait before a token is even looked at; 0 when it may try. */
  retryAfter(ip: string): number {
    const r = this.fresh(ip);
    if (!r) return 0;
    const wait = r.blockedUntil - this.now();
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  /** A wrong token from `ip`; returns how many failures it has now. */
  fail(ip: string): number {
    const now = this.now();
    let r = this.fresh(ip);
    if (!r) {
      if (this.clients.size >= MAX_CLIENTS) {
        // Map order is insertion order: the first key is the one longest in.
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
      r = { failures: 0, last: now, blockedUntil: 0 };
      this.clients.set(ip, r);
    }
    r.failures++;
    r.last = now;
    if (r.failures > FREE_FAILURES) r.blockedUntil = now + Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (r.failures - FREE_FAILURES - 1));
    return r.failures;
  }

  succeed(ip: string): void {
    this.clients.delete(ip);
  }

  private fresh(ip: string): Record | undefined {
    const r = this.clients.get(ip);
    if (r && this.now() - r.last > FORGET_AFTER_MS && this.now() > r.blockedUntil) {
      this.clients.delete(ip);
      return undefined;
    }
    return r;
  }
}

/** Which secret a request presented. */
export type AuthKind = 'api' | 'login' | 'metrics' | 'readyz';

/** What AuthGate.check found: go on, 429 after `wait` seconds, or 401. */
export type AuthCheck = { readonly result: 'ok' } | { readonly result: 'throttled'; readonly wait: number } | { readonly result: 'missing-token' | 'wrong-token' };

/**
 * The throttle with its audit trail: every refused token is one log line (who, what, how
 * many times), and a throttled client is told when to come back (429, Retry-After) without
 * its token being looked at.
 */
export class AuthGate {
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
    now: () => number = Date.now,
  ) {
    this.throttle = new AuthThrottle(now);
  }

  /**
   * A presented secret against the expected one, for every door (API bearer, web login,
   * metrics token): a throttled client is refused before its secret is compared, and every
   * refusal is logged and counted here. `presented` undefined: none was given.
   */
  check(remote: string, kind: AuthKind, presented: string | undefined, expected: string): AuthCheck {
    const wait = this.blocked(remote, kind);
    if (wait > 0) return { result: 'throttled', wait };
    if (presented === undefined || !sameSecret(presented, expected)) {
      const result = presented === undefined ? 'missing-token' : 'wrong-token';
      this.failed(remote, kind, result);
      return { result };
    }
    this.succeeded(remote);
    return { result: 'ok' };
  }

  /**
   * Seconds to wait, logged as a refusal; 0 when the client may present a token. For a
   * door that must read a request body first (the login form): refuse before reading it.
   */
  blocked(remote: string, kind: AuthKind): number {
    const wait = this.throttle.retryAfter(remote);
    if (wait > 0) this.logger.warn({ event: 'admin-auth', kind, result: 'throttled', remote, retry_after_s: wait }, 'admin authentication throttled');
    return wait;
  }

  private failed(remote: string, kind: AuthKind, result: 'wrong-token' | 'missing-token'): void {
    // A missing token is how a browser or a first scrape asks; only a wrong one counts against the client.
    const failures = result === 'wrong-token' ? this.throttle.fail(remote) : undefined;
    this.logger.warn({ event: 'admin-auth', kind, result, remote, failures }, 'admin authentication failed');
  }

  private succeeded(remote: string): void {
    this.throttle.succeed(remote);
  }
}
