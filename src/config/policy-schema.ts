import path from 'node:path';
import { z } from 'zod';
import { byteSize, duration } from './values.js';

/**
 * The `policy` and `quarantine` sections: from findings to actions, how tagged mail is
 * marked, and how long quarantined mail is kept. docs/policy.md describes every key.
 */

const severity = z.enum(['info', 'low', 'medium', 'high']);
const verdict = z.enum(['clean', 'suspicious', 'malicious', 'unscannable']);
const action = z.enum(['pass', 'tag', 'quarantine', 'await-password', 'reject', 'tempfail']);
/** One value or a list of them, always a list after parsing. */
const oneOrMore = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as Array<z.output<T>>);

/**
 * A rule matches a message when every condition it names holds. Finding conditions
 * (detector, code, severity, brand) must hold for one and the same finding; message
 * conditions (verdict, score) for the message. Of all matching rules the strongest action
 * wins: pass < tag < tempfail < quarantine < reject.
 */
export const ruleSchema = z
  .object({
    detector: z.enum(['macro', 'archive', 'limits', 'brand']).optional(),
    code: oneOrMore(z.string().min(1)).optional(),
    /** The finding's severity is at least this. */
    severity: severity.optional(),
    /** The finding's evidence.brand is one of these catalog ids. */
    brand: oneOrMore(z.string().min(1)).optional(),
    verdict: oneOrMore(verdict).optional(),
    /** The message's score is at least this. */
    score: z.number().int().min(0).max(100).optional(),
    action,
    /** Text of the SMTP reply for reject and tempfail: short, printable ASCII (it goes on the wire). */
    reply: z
      .string()
      .regex(/^[\x20-\x7e]{1,200}$/, 'printable ASCII, at most 200 characters')
      .optional(),
  })
  .strict();

export type RuleConfig = z.output<typeof ruleSchema>;

const prefix = z.string().max(64);

export const policySchema = z
  .object({
    /** Replaces the built-in rules when given (docs/policy.md lists them, to copy and change). */
    rules: z.array(ruleSchema).optional(),
    /**
     * Mail that passes whatever it contains. Addresses are compared with the envelope sender
     * and the From header; both can be forged, so list only what the MTA in front of sekisho
     * authenticates (SPF/DKIM/DMARC).
     */
    allow: z
      .object({
        senders: z.array(z.string().min(3).transform((s) => s.toLowerCase())).default([]),
        /** The domain and its subdomains. */
        sender_domains: z.array(z.string().min(1).transform((s) => s.toLowerCase().replace(/^\.+/, ''))).default([]),
        /** Passes when every accepted recipient is listed (a message has one fate for all its recipients). */
        recipients: z.array(z.string().min(3).transform((s) => s.toLowerCase())).default([]),
      })
      .strict()
      .prefault({}),
    tag: z
      .object({
        /** subject: prefix the Subject and add X-Sekisho-* headers; header-only: headers only (keeps DKIM signatures valid). */
        mode: z.enum(['subject', 'header-only']).default('subject'),
        /** One prefix for every verdict, or one per verdict. */
        subject_prefix: z
          .union([prefix, z.object({ suspicious: prefix.optional(), malicious: prefix.optional(), unscannable: prefix.optional() }).strict()])
          .default('[SUSPICIOUS] '),
        /** Earlier tags to strip too (after a change of prefix), so none is ever doubled. */
        strip_prefixes: z.array(prefix).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A PostgreSQL connection URL; the password belongs in password_file or password_env, not here. */
const postgresUrl = z
  .string()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'a postgres:// or postgresql:// URL')
  .refine((u) => URL.canParse(u), 'not a valid URL');

/** quarantine.store: the shared PostgreSQL quarantine (docs/scale-out.md). A bare URL is `{ url }`. */
const quarantineStoreSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { url: v } : v),
  z
    .object({
      url: postgresUrl,
      /** A file holding the password (one line), e.g. a secret mounted by the orchestrator. */
      password_file: z.string().min(1).optional(),
      /** An environment variable holding the password. */
      password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
      /** Connections per process (each cluster worker has its own pool). */
      pool_size: z.number().int().min(1).max(100).default(10),
      connect_timeout: duration.prefault('5s'),
      /** Any statement longer than this fails: a put then gets 451 4.3.0 (the sender keeps the message). */
      statement_timeout: duration.prefault('10s'),
    })
    .strict()
    .refine((s) => !(s.password_file && s.password_env), { message: 'password_file and password_env: set one, not both', path: ['password_env'] }),
);

export type QuarantineStoreConfig = z.output<typeof quarantineStoreSchema>;

export const quarantineSchema = z
  .object({
    /** Unset: the file store in `dir`. Set: PostgreSQL, shared by every node (`dir` is then unused). */
    store: quarantineStoreSchema.optional(),
    /** Resolved from the directory sekisho is started in, like every relative path. */
    dir: z
      .string()
      .min(1)
      .default('./var/quarantine')
      .transform((d) => path.resolve(d)),
    /** Entries older than this are purged (daily, and by `sekisho quarantine purge`). */
    retention: duration.prefault('30d'),
    /** Add X-Sekisho-Released-By to released messages. */
    release_header: z.boolean().default(true),
    /** Quota: over it, mail the policy would quarantine gets 451 4.3.1 (the sender keeps it). */
    max_bytes: byteSize.prefault('20GiB'),
    max_messages: z.number().int().min(1).default(200_000),
    /** Free space left on the quarantine's file system (the MTA queues there too); below it, 451 4.3.1 and /readyz not ready. */
    min_free_bytes: byteSize.prefault('1GiB'),
  })
  .strict();
