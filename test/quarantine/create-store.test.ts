import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { quarantineIdentity } from '../../src/quarantine/create-store.js';

const config = (extra: Record<string, unknown>, hostname = 'mx1.example') =>
  validateConfig('test.yaml', { smtp: { listen: '127.0.0.1:0', upstream: 'smtp://127.0.0.1:25', hostname }, quarantine: extra });
const postgres = (url: string, hostname?: string) => quarantineIdentity(config({ store: { url } }, hostname));

describe('quarantineIdentity (the store label of the quarantine gauges)', () => {
  it('is the same on every node of one database, whatever spelling or session options its URL has', () => {
    const id = postgres('postgresql://sekisho@db.example:5432/quarantine', 'mx1.example');
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(postgres('postgres://other@DB.example/quarantine?application_name=mx2&sslmode=require', 'mx2.example')).toBe(id);
    expect(postgres('postgresql://sekisho@db.example:5433/quarantine')).not.toBe(id);
    expect(postgres('postgresql://sekisho@db.example/other')).not.toBe(id);
  });

  it('tells nodes with their own file store apart, and shows no host or path', () => {
    const a = quarantineIdentity(config({ dir: '/var/lib/sekisho/quarantine' }, 'mx1.example'));
    const b = quarantineIdentity(config({ dir: '/var/lib/sekisho/quarantine' }, 'mx2.example'));
    expect(a).not.toBe(b);
    expect(`${a}${b}`).toMatch(/^[0-9a-f]{24}$/);
    expect(postgres('postgresql://u:secret@db.example/q?password=hunter2')).toMatch(/^[0-9a-f]{12}$/);
  });
});
