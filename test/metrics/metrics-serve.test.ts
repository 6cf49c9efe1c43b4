import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { requireTool } from '../helpers/tools.js';

/**
 * The exposition of a real `sekisho serve` process, with every metric the daemon registers
 * (prom-client's process and Node.js metrics included, which in-process tests leave out):
 * what Prometheus scrapes is what promtool must accept.
 */
describe('the /metrics of a running sekisho serve', () => {
  let daemon: DaemonProcess | undefined;
  afterEach(() => daemon?.kill());

  it('promtool check metrics accepts it, lint hints included, for the proxy and the milter', async () => {
    const promtool = requireTool('promtool');
    daemon = DaemonProcess.start(['smtp:', '  listen: 127.0.0.1:0', '  upstream: outbox:/tmp/sekisho-metrics-outbox', 'milter:', '  listen: 127.0.0.1:0', 'admin:', '  listen: 127.0.0.1:0'].join('\n'));
    const res = await fetch(`http://127.0.0.1:${await daemon.adminPort()}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    // The process and runtime metrics are there: this is the daemon's full registry.
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
    expect(text).toContain('sekisho_milter_replies_total{reply="accept"} 0');
    const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // Exit 0 and nothing said: neither errors (stderr) nor lint problems (stdout).
    expect({ status: check.status, stdout: check.stdout, stderr: check.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});
