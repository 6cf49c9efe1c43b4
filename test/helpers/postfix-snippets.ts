

/**
 * The main.cf/master.cf settings that put sekisho behind Postfix, rendered in one place:
 * the interop tests run them, and docs/postfix.md shows them with the standard ports (a
 * test checks the two agree).
 */
// ---------------------------------------------------------------------------------------
// The Postfix settings for sekisho (docs/postfix.md shows these, rendered with defaults)

export interface PostfixSnippet {
  /** Lines for main.cf. */
  readonly mainCf: string;
  /** Entries for master.cf. */
  readonly masterCf: string;
}

/** One master.cf entry, in the columns of Postfix's own master.cf. */
export function service(name: string, type: string, fields: [string, string, string, string, string], command: string, options: readonly string[]): string {
  const pad = (s: string, width: number) => (s.length >= width ? `${s} ` : s.padEnd(width));
  let line = pad(name, 10) + pad(type, 6);
  for (const f of fields) line += pad(f, 8);
  line += command;
  return [line, ...options.map((o) => `  -o ${o}`)].join('\n');
}

export interface BeforeQueueOptions {
  /** The public smtpd's master.cf service name: `smtp` (port 25), or host:port. */
  readonly publicService?: string;
  /** sekisho's listen address (smtp.listen). */
  readonly filter?: string;
  /** The after-filter smtpd, sekisho's smtp.upstream. */
  readonly afterFilter?: string;
  /** smtpd_recipient_restrictions of the after-filter smtpd. */
  readonly afterFilterRecipientRestrictions?: string;
  /** More `-o name=value` for the after-filter smtpd (tests only; not in the docs). */
  readonly afterFilterExtraOptions?: readonly string[];
}

/**
 * Before-queue (smtpd_proxy_filter, SMTPD_PROXY_README): the public smtpd hands every
 * MAIL, RCPT and the message to sekisho as they arrive; sekisho relays them to the
 * after-filter smtpd, which queues. The client sees the after-filter's replies live.
 */
export function beforeQueueSnippet(o: BeforeQueueOptions = {}): PostfixSnippet {
  const filter = o.filter ?? '127.0.0.1:10025';
  const afterFilter = o.afterFilter ?? '127.0.0.1:10026';
  return {
    mainCf: [
      '# How long Postfix waits for each reply from sekisho (100s is the default).',
      '# sekisho must answer "." within it: keep smtp.timeouts.upstream_data (80s)',
      '# plus scan time below it.',
      'smtpd_proxy_timeout = 100s',
      '# Leave smtpd_proxy_options empty (no speed_adjust): recipients are then',
      '# relayed to sekisho and the after-filter smtpd one by one, as they arrive.',
      'smtpd_proxy_options =',
    ].join('\n'),
    masterCf: [
      '# Public SMTP service: Postfix receives mail, applies its own checks, and',
      '# passes each MAIL, RCPT and the message through sekisho as they happen.',
      service(o.publicService ?? 'smtp', 'inet', ['n', '-', 'n', '-', '20'], 'smtpd', [
        `smtpd_proxy_filter=${filter}`,
        'smtpd_client_connection_count_limit=10',
      ]),
      '# After-filter SMTP service: receives what sekisho lets through, and queues it.',
      '# Loopback only: never expose it to the network.',
      service(afterFilter, 'inet', ['n', '-', 'n', '-', '-'], 'smtpd', [
        'smtpd_authorized_xforward_hosts=127.0.0.0/8',
        'smtpd_client_restrictions=',
        'smtpd_helo_restrictions=',
        'smtpd_sender_restrictions=',
        'smtpd_relay_restrictions=',
        `smtpd_recipient_restrictions=${o.afterFilterRecipientRestrictions ?? 'permit_mynetworks,reject'}`,
        'smtpd_data_restrictions=',
        'mynetworks=127.0.0.0/8',
        'receive_override_options=no_unknown_recipient_checks',
        ...(o.afterFilterExtraOptions ?? []),
      ]),
    ].join('\n'),
  };
}

export interface AfterQueueOptions {
  /** The scan transport's next hop: sekisho's listen address, bracketed (no MX lookup). */
  readonly filter?: string;
  /** The reinjection smtpd, sekisho's smtp.upstream. */
  readonly reinject?: string;
}

/**
 * After-queue (content_filter, FILTER_README): Postfix queues first, then its `scan`
 * transport delivers each message to sekisho, which relays it to the reinjection smtpd.
 */
export function afterQueueSnippet(o: AfterQueueOptions = {}): PostfixSnippet {
  const filter = o.filter ?? '[127.0.0.1]:10025';
  const reinject = o.reinject ?? '127.0.0.1:10026';
  return {
    mainCf: [
      '# Every message received by smtpd or pickup goes to sekisho through the scan transport.',
      `content_filter = scan:${filter}`,
      '# Address rewriting happens once, after the filter (in the reinjection smtpd).',
      'receive_override_options = no_address_mappings',
    ].join('\n'),
    masterCf: [
      "# scan: Postfix's SMTP client delivering queued mail to sekisho. Its process limit",
      '# (10) caps the connections to sekisho.',
      service('scan', 'unix', ['-', '-', 'n', '-', '10'], 'smtp', [
        'smtp_send_xforward_command=yes',
        'disable_mime_output_conversion=yes',
        'smtp_generic_maps=',
      ]),
      '# Reinjection SMTP service: receives what sekisho lets through and queues it for',
      '# delivery. The empty content_filter stops the mail from looping back to sekisho.',
      '# Its process limit must be at least that of scan. Loopback only.',
      service(reinject, 'inet', ['n', '-', 'n', '-', '10'], 'smtpd', [
        'content_filter=',
        'receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters',
        'smtpd_helo_restrictions=',
        'smtpd_client_restrictions=',
        'smtpd_sender_restrictions=',
        'smtpd_relay_restrictions=',
        'smtpd_recipient_restrictions=permit_mynetworks,reject',
        'smtpd_data_restrictions=',
        'mynetworks=127.0.0.0/8',
        'smtpd_authorized_xforward_hosts=127.0.0.0/8',
      ]),
    ].join('\n'),
  };
}

/** A plain public smtpd on host:port (the stock `smtp inet` entry, on a test port). */
export function plainSmtpdService(address: string): string {
  return service(address, 'inet', ['n', '-', 'n', '-', '-'], 'smtpd', []);
}

export interface MilterSnippetOptions {
  /** sekisho's milter.listen as Postfix spells it: inet:host:port or unix:/path. */
  readonly milter?: string;
  /** The release smtpd: where sekisho sends what it releases from its store (smtp.upstream). */
  readonly release?: string;
}

/**
 * Milter (MILTER_README): Postfix's smtpd passes each message to sekisho before it says
 * 250; sekisho answers with header edits, a quarantine, a reject or a tempfail. The release
 * smtpd takes the messages released from sekisho's own quarantine store back in.
 *
 * The timeouts: sekisho answers every command before the end of the message at once (it
 * asks for no reply to most), and the end of the message within inspect.time_budget (10s)
 * plus 5s, or it tempfails itself. milter_content_timeout (sending the message and waiting
 * for that answer) stays well above that, and far below smtpd_timeout (300s).
 */
export function milterSnippet(o: MilterSnippetOptions = {}): PostfixSnippet {
  const milter = o.milter ?? 'inet:127.0.0.1:8891';
  const release = o.release ?? '127.0.0.1:10026';
  return {
    mainCf: [
      '# Every message smtpd receives goes through sekisho before Postfix answers 250.',
      `smtpd_milters = ${milter}`,
      'milter_protocol = 6',
      '# sekisho down or not answering: 4xx, the client keeps the message and retries.',
      '# (accept would let mail through unscanned; 3.11 changed the default to shutdown.)',
      'milter_default_action = tempfail',
      '# sekisho is on loopback: a connection is made at once or not at all.',
      'milter_connect_timeout = 10s',
      '# Each command before the end of the message (sekisho answers at once).',
      'milter_command_timeout = 30s',
      '# Sending the message and waiting for the verdict: above sekisho\'s own deadline',
      '# (inspect.time_budget + 5s, then it tempfails), below smtpd_timeout (300s).',
      'milter_content_timeout = 60s',
    ].join('\n'),
    masterCf: [
      '# Release re-injection: messages released from sekisho\'s quarantine store come',
      '# back in here (sekisho\'s smtp.upstream). No milters: a released message would',
      '# be inspected and quarantined again. Loopback only.',
      service(release, 'inet', ['n', '-', 'n', '-', '-'], 'smtpd', [
        'smtpd_milters=',
        'smtpd_client_restrictions=',
        'smtpd_helo_restrictions=',
        'smtpd_sender_restrictions=',
        'smtpd_relay_restrictions=',
        'smtpd_recipient_restrictions=permit_mynetworks,reject',
        'smtpd_data_restrictions=',
        'mynetworks=127.0.0.0/8',
        'smtpd_authorized_xforward_hosts=127.0.0.0/8',
        'receive_override_options=no_unknown_recipient_checks,no_header_body_checks',
      ]),
    ].join('\n'),
  };
}
