import os from 'node:os';
import { z } from 'zod';
import { policySchema, quarantineSchema } from './policy-schema.js';
import { byteSize, duration, fileMode, listenAddress, milterListen, upstream } from './values.js';

/**
 * The configuration file, validated once at start-up (and on SIGHUP) into a typed object.
 * Every object is strict: an unknown key is an error, because a misspelt key silently
 * ignored is a setting the admin believes is on. docs/configuration.md describes each key.
 */

const inboundTls = z
  .object({
    /** PEM certificate chain offered after STARTTLS. */
    cert: z.string().min(1),
    /** PEM private key of `cert`. */
    key: z.string().min(1),
  })
  .strict();

const upstreamTls = z
  .object({
    starttls: z.enum(['opportunistic', 'required', 'never']).default('opportunistic'),
    verify: z.boolean().default(true),
    ca: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
  })
  .strict();

const smtpTimeouts = z
  .object({
    /** Client silent between commands or during DATA (RFC 5321 §4.5.3.2.7 suggests 5 min). */
    idle: duration.prefault(300),
    /** MAIL to the end of DATA, however active the client is (slowloris): then 421. */
    transaction: duration.prefault('30m'),
    /** 354 to the "." (RFC 5321 §4.5.3.2.6 gives the server 10 min for its own reply; the client gets as long to send). */
    data: duration.prefault('15m'),
    /** How long into DATA before smtp.min_data_rate is judged (slow starts, TCP stalls). */
    data_rate_grace: duration.prefault('60s'),
    upstream_connect: duration.prefault(30),
    upstream_command: duration.prefault(60),
    /** Reply to "." from the next hop; under Postfix's smtpd_proxy_timeout (100 s) minus scan time. */
    upstream_data: duration.prefault(80),
    /** SIGTERM: how long in-flight transactions may take before connections are cut. */
    shutdown_grace: duration.prefault(30),
  })
  .strict();

const upstreamCache = z
  .object({
    /** Idle next-hop connections kept for reuse; 0 turns the cache off. */
    max_idle: z.number().int().min(0).default(16),
    /** How long one is kept idle (Postfix: smtp_connection_cache_time_limit = 2s). */
    idle_timeout: duration.prefault(2),
  })
  .strict();

const smtp = z
  .object({
    /** The proxy's address; optional when milter.listen is set (the milter alone). */
    listen: listenAddress.optional(),
    upstream,
    max_message_bytes: byteSize.prefault(50 * 1024 * 1024),
    /** Bytes of messages this process holds at once (collecting, inspecting, relaying; proxy and milter); past it, 451 4.3.1. */
    max_inflight_bytes: byteSize.prefault('1GiB'),
    /** Our name in the greeting and in EHLO to the next hop. */
    hostname: z.string().min(1).default(os.hostname()),
    workers: z.number().int().min(1).max(256).default(1),
    max_connections: z.number().int().min(1).default(500),
    max_connections_per_ip: z.number().int().min(1).default(50),
    max_recipients: z.number().int().min(1).default(1000),
    /** Bytes per second averaged over a DATA phase (after timeouts.data_rate_grace); below it, 421. 0 turns it off. */
    min_data_rate: z.number().int().min(0).default(128),
    timeouts: smtpTimeouts.prefault({}),
    tls: inboundTls.optional(),
    upstream_tls: upstreamTls.prefault({}),
    upstream_cache: upstreamCache.prefault({}),
    /** Clients whose XFORWARD is believed (Postfix: smtpd_authorized_xforward_hosts). */
    xforward_hosts: z.array(z.string().min(1)).default(['127.0.0.1', '::1']),
  })
  .strict();

/** Limits of the inspection core (src/core/limits.ts explains each) and the admin's zip passwords. */
const inspect = z
  .object({
    max_archive_depth: z.number().int().min(1).max(32).default(4),
    max_message_depth: z.number().int().min(1).max(32).default(8),
    max_decompressed_bytes: byteSize.prefault('256MiB'),
    max_ratio: z.number().min(2).default(200),
    ratio_exempt_bytes: byteSize.prefault('64MiB'),
    max_entries: z.number().int().min(1).default(10_000),
    max_parts: z.number().int().min(1).default(1_000),
    time_budget: duration.prefault(10),
    max_password_tries: z.number().int().min(0).max(1000).default(20),
    max_document_password_tries: z.number().int().min(0).max(100).default(4),
    /** Worker threads that inspect messages; default the number of cores; 0 inspects on the event loop (debugging only). */
    threads: z.number().int().min(0).max(256).optional(),
    /** Messages waiting for a worker; beyond it new messages get 451 4.3.2 at the end of DATA. */
    max_queue: z.number().int().min(0).max(100_000).default(100),
    /** V8 heap of each inspection worker; a worker over it is replaced and its message tempfailed. */
    worker_memory: byteSize.prefault('512MiB'),
    /** Tried on encrypted zips and documents after the passwords the mail itself states. */
    zip_passwords: z.array(z.string().min(1).max(128)).max(100).default([]),
  })
  .strict();

const milterTimeouts = z
  .object({
    /**
     * The MTA silent on an open connection. Postfix keeps its milter connection for the
     * whole SMTP session, which may sit idle up to smtpd_timeout (300 s) between commands.
     */
    idle: duration.prefault('10m'),
  })
  .strict();

const milter = z
  .object({
    /** host:port, inet:host:port or unix:/path; set, the milter ingress is served. */
    listen: milterListen.optional(),
    /** Mode of the unix socket (the MTA's user must be able to connect). */
    socket_mode: fileMode.prefault('0660'),
    /** store: sekisho's quarantine (then SMFIR_DISCARD); hold: the MTA's hold queue (SMFIR_QUARANTINE). */
    quarantine: z.enum(['store', 'hold']).default('store'),
    max_connections: z.number().int().min(1).default(1000),
    timeouts: milterTimeouts.prefault({}),
  })
  .strict();

const admin = z
  .object({
    listen: listenAddress.optional(),
    /** API bearer token and web login; "" or unset turns both off. Long: it is the whole of the authentication. */
    token: z.string().refine((t) => t === '' || t.length >= 16, 'at least 16 characters (or "" to turn the API and web page off)').optional(),
    /** Names the admin port is reached by (DNS rebinding: other Host headers are refused); IP literals and localhost always work. */
    hostnames: z.array(z.string().min(1)).default([]),
    /** Serve the admin port over HTTPS with this PEM certificate and key (session cookies are then Secure). */
    tls: inboundTls.optional(),
    /** When set, GET /metrics wants `Authorization: Bearer <metrics_token>` (Prometheus: `authorization` in the scrape config). */
    metrics_token: z.string().min(16, 'at least 16 characters').optional(),
  })
  .strict();

const log = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

const domainName = z
  .string()
  .regex(/^[a-z0-9.-]+\.[a-z0-9-]+$|^[^\s.]+(?:\.[^\s.]+)+$/i, 'a domain name such as example.co.jp')
  .transform((d) => d.toLowerCase());

const brands = z
  .object({
    /** The brand detector runs unless this is false. */
    enabled: z.boolean().default(true),
    /** The shipped catalog; replace only to pin a copy. Default: config/brands.yaml of the package. */
    catalog: z.string().min(1).optional(),
    /** The admin's own catalog files (their company, their banks): new brands, or more domains for shipped ones. */
    local: z.array(z.string().min(1)).default([]),
    /** Site-wide allowlist: registrable domains whose mail and links are never a brand finding. */
    allow_domains: z.array(domainName).default([]),
    /** authserv-ids of the admin's own MTA whose Authentication-Results are believed (RFC 8601). */
    trusted_authserv_ids: z.array(z.string().min(1)).default([]),
  })
  .strict();

const ppap = z
  .object({
    /** How long a zip awaits its password, and a password its zip. */
    window: duration.prefault('24h'),
    /** Pair on the From address too, not only the envelope sender (a list server or a forwarder rewrites the envelope). */
    match_header_from: z.boolean().default(false),
    /** Put X-Sekisho-PPAP on a message released by pairing (off: the very bytes received). */
    release_header: z.boolean().default(true),
  })
  .strict();

export const configSchema = z
  .object({
    smtp,
    ppap: ppap.prefault({}),
    inspect: inspect.prefault({}),
    milter: milter.prefault({}),
    admin: admin.prefault({}),
    quarantine: quarantineSchema.prefault({}),
    brands: brands.prefault({}),
    policy: policySchema.prefault({}),
    log: log.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    // An ingress is what the daemon is for: the proxy, the milter, or both.
    if (!config.smtp.listen && !config.milter.listen) {
      ctx.addIssue({ code: 'custom', path: ['smtp', 'listen'], message: 'required unless milter.listen is set (an address such as 127.0.0.1:2525)' });
    }
  });

// Defaults of transformed values use prefault(): zod 4's default() would skip the
// transform and hand "300" seconds through as 300 milliseconds.

export type Config = z.output<typeof configSchema>;
export type SmtpConfig = Config['smtp'];
