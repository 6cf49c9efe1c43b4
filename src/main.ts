#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { healthcheck } from './cli/healthcheck-command.js';
import { QUARANTINE_USAGE, quarantineCommand, QuarantineUsageError } from './cli/quarantine-command.js';
import { formatJson, formatText, scanFiles } from './cli/scan-command.js';
import { inspectorPlan, inspectorSettings } from './config/inspect-options.js';
import { createInspector } from './filter/create-inspector.js';
import { ConfigError, loadConfig, validateConfig, type LoadedConfig } from './config/load-config.js';
import { serve, serveWorker } from './daemon/serve.js';
import { tuneV8ForServing } from './daemon/v8-tuning.js';
import { policyFromConfig } from './policy/policy-config.js';
import { createLogger, type LogLevel } from './log/logger.js';
import { PrettyLog } from './log/pretty.js';
import { Metrics } from './metrics/metrics.js';

const USAGE = `usage:
  sekisho serve --config FILE [--pretty]
                                       run the daemon (--pretty: readable log lines instead of JSON)
  sekisho scan [--config FILE] [--json] FILE...
                                       inspect .eml files ("-" reads stdin) and say what the policy would do;
                                       exit 0 when every file was scanned, 2 when one could not be read
${QUARANTINE_USAGE}
  sekisho config check FILE            validate a configuration file and exit
  sekisho healthcheck --config FILE    exit 0 when the SMTP listener greets with 220
  sekisho --version

exit codes: 0 ok, 1 failure, 2 bad usage or bad configuration`;

/** Exit code 2 for anything the admin has to fix in the command line or the config. */
class UsageError extends Error {}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function configFrom(args: string[], positional: boolean): LoadedConfig {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: positional });
  const file = positional ? positionals[0] : values.config;
  if (!file) throw new UsageError(positional ? 'config check needs a FILE' : 'missing --config FILE');
  return loadConfig(file);
}

/** stdout as JSON lines, or with --pretty as readable lines (coloured on a terminal). */
function logDestination(pretty: boolean): NodeJS.WritableStream | undefined {
  return pretty ? new PrettyLog(process.stdout, process.stdout.isTTY === true) : undefined;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function main(argv: string[]): Promise<number> {
  if (cluster.isWorker) {
    tuneV8ForServing();
    const level = (process.env['SEKISHO_LOG_LEVEL'] as LogLevel | undefined) ?? 'info';
    await serveWorker(createLogger(level, logDestination(process.env['SEKISHO_LOG_PRETTY'] === '1')), new Metrics(version()));
    return -1;
  }
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, pretty: { type: 'boolean' } } });
      if (!values.config) throw new UsageError('missing --config FILE');
      const loaded = loadConfig(values.config);
      tuneV8ForServing();
      // Cluster workers inherit the environment: they log the same way.
      if (values.pretty) process.env['SEKISHO_LOG_PRETTY'] = '1';
      await serve(loaded, createLogger(loaded.config.log.level, logDestination(values.pretty === true)), new Metrics(version()));
      return -1; // keeps running until a signal
    }
    case 'config': {
      if (rest[0] !== 'check') throw new UsageError(`unknown config subcommand ${JSON.stringify(rest[0] ?? '')}`);
      const loaded = configFrom(rest.slice(1), true);
      process.stdout.write(`${loaded.file}: ok\n`);
      return 0;
    }
    case 'scan': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (positionals.length === 0) throw new UsageError('scan needs at least one FILE (or - for stdin)');
      // Without --config: the embedded defaults, shipped brand catalog included.
      const loaded = values.config ? loadConfig(values.config) : validateConfig('(defaults)', { smtp: { listen: '127.0.0.1:0', upstream: 'outbox:./var/outbox' } });
      const inspector = createInspector(inspectorSettings(loaded), inspectorPlan(loaded));
      const { policy, tag } = policyFromConfig(loaded.config);
      const deps = { ingress: 'scan', inspector, policy, tag, quarantine: 'ingress', editBytes: false } as const;
      const results = await scanFiles(positionals, deps, readStdin).finally(() => inspector.close());
      for (const r of results) process.stdout.write(`${values.json ? formatJson(r) : formatText(r)}\n`);
      return results.every((r) => r.verdict) ? 0 : 2;
    }
    case 'quarantine': {
      const [sub, ...args] = rest;
      // Audit lines (release, delete, purge) go to stderr as JSON, the answer to stdout.
      const logger = createLogger('info', process.stderr);
      try {
        return await quarantineCommand(sub, args, loadConfig, logger, { out: (text) => process.stdout.write(`${text}\n`), now: () => new Date() });
      } catch (err) {
        if (err instanceof QuarantineUsageError) throw new UsageError(err.message);
        throw err;
      } finally {
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      }
    }
    case 'healthcheck': {
      const result = await healthcheck(configFrom(rest, false));
      (result.ok ? process.stdout : process.stderr).write(`${result.detail}\n`);
      return result.ok ? 0 : 1;
    }
    case '--version':
    case '-v':
      process.stdout.write(`sekisho ${version()}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'no command given');
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`sekisho: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`sekisho: ${(err as Error).message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`sekisho: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
