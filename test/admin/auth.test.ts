import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bearerToken, csrfMatches, sameSecret, SESSION_COOKIE, SESSION_IDLE_MS, sessionCookie, MemorySessionStore } from '../../src/admin/auth.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('admin authentication pieces', () => {
  it('compares secrets of any length', async () => {
    expect(sameSecret('token', 'token')).toBe(true);
    expect(sameSecret('token', 'token2')).toBe(false);
    expect(sameSecret('', 'token')).toBe(false);
    expect(sameSecret('トークン', 'トークン')).toBe(true);
  });

  it('reads a bearer token and nothing else', async () => {
    expect(bearerToken(request({ authorization: 'Bearer abc.def' }))).toBe('abc.def');
    expect(bearerToken(request({ authorization: 'bearer abc' }))).toBe('abc');
    expect(bearerToken(request({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(bearerToken(request({ authorization: 'Bearer a b' }))).toBeUndefined();
    expect(bearerToken(request({}))).toBeUndefined();
  });

  it('ends a session after 8 hours idle, and each use restarts the clock', async () => {
    let now = 1_000_000;
    const sessions = new MemorySessionStore(() => now);
    const s = await sessions.create();
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrf).not.toBe(s.id);
    const req = request({ cookie: `other=1; ${SESSION_COOKIE}=${s.id}` });
    now += SESSION_IDLE_MS - 1;
    expect(await sessions.find(req)).toBe(s);
    now += SESSION_IDLE_MS - 1;
    expect(await sessions.find(req)).toBe(s);
    now += SESSION_IDLE_MS + 1;
    expect(await sessions.find(req)).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('finds no session for an unknown or missing cookie, and forgets ended ones', async () => {
    const sessions = new MemorySessionStore();
    const s = await sessions.create();
    expect(await sessions.find(request({ cookie: `${SESSION_COOKIE}=nope` }))).toBeUndefined();
    expect(await sessions.find(request({}))).toBeUndefined();
    await sessions.end(s);
    expect(await sessions.find(request({ cookie: `${SESSION_COOKIE}=${s.id}` }))).toBeUndefined();
  });

  it('checks the CSRF token of the session', async () => {
    const s = await new MemorySessionStore().create();
    expect(csrfMatches(s, s.csrf)).toBe(true);
    expect(csrfMatches(s, null)).toBe(false);
    expect(csrfMatches(s, '')).toBe(false);
    expect(csrfMatches(s, s.id)).toBe(false);
  });

  it('marks the cookie Secure only over TLS', async () => {
    const s = await new MemorySessionStore().create();
    expect(sessionCookie(s, false)).toBe(`${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict`);
    expect(sessionCookie(s, true)).toMatch(/; Secure$/);
  });
});
