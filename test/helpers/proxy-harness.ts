import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { validateConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { TestSink, type SinkBehaviour } from './test-sink.js';

/** Log lines a daemon wrote, parsed, for assertions on what operators would see. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    callback();
  }

  transactions(): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l['event'] === 'transaction');
  }
}

export interface RunningProxy {
  readonly port: number;
  readonly daemon: Daemon;
  readonly logs: LogCapture;
  readonly logger: Logger;
  readonly loaded: LoadedConfig;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

/** Deep-merges plain objects (arrays and scalars replace). */
export function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? merge(b, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Config data for a proxy on a free port in front of `upstream`; `extra` overrides any key. */
export function proxyConfig(upstream: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return merge(
    {
      // Each test its own quarantine, never the repository's var/.
      quarantine: { dir: mkdtempSync(path.join(os.tmpdir(), 'sekisho-q-')) },
      smtp: {
        listen: '127.0.0.1:0',
        upstream,
        hostname: 'sekisho.test',
        timeouts: { upstream_connect: '2s', upstream_command: '2s', upstream_data: '2s', shutdown_grace: '2s' },
      },
      log: { level: 'info' },
      // One inspection worker: the real pool, at the cost of one worker start per test
      // (tests that are about the pool set their own).
      inspect: { threads: 1 },
    },
    extra,
  );
}

/** Starts sekisho in this process, exactly as `serve` does with one worker. */
export async function startProxy(upstream: string, extra: Record<string, unknown> = {}): Promise<RunningProxy> {
  const loaded = validateConfig('test.yaml', proxyConfig(upstream, extra));
  const logs = new LogCapture();
  const logger = createLogger(loaded.config.log.level, logs);
  const metrics = new Metrics('test', { processMetrics: false });
  const daemon = await startDaemon(loaded, logger, { admin: true, metrics });
  return {
    port: (daemon.smtpAddress as AddressInfo).port,
    daemon,
    logs,
    logger,
    loaded,
    metrics,
    stop: () => daemon.drain(),
  };
}

/**
 * A test sink and a sekisho in front of it, per test, stopped after each test:
 *
 *   const relay = relayFixture();
 *   it('…', async () => { const { sink, proxy } = await relay.start({ rcptReply: … }, { smtp: { … } }); });
 */
export function relayFixture(): { start(behaviour?: SinkBehaviour, extra?: Record<string, unknown>): Promise<{ sink: TestSink; proxy: RunningProxy }> } {
  const running: Array<{ sink: TestSink; proxy?: RunningProxy }> = [];
  afterEach(async () => {
    for (const current of running.splice(0)) {
      await current.proxy?.stop();
      await current.sink.stop();
    }
  });
  return {
    async start(behaviour = {}, extra = {}) {
      const sink = await TestSink.start(behaviour);
      const entry: { sink: TestSink; proxy?: RunningProxy } = { sink };
      running.push(entry);
      entry.proxy = await startProxy(sink.url, extra);
      return { sink, proxy: entry.proxy };
    },
  };
}
