// The soak's senders: client loops that behave like MTAs (a 4xx or no reply is retried with
// backoff, a 250 or 5xx ends it), a few slow but honest clients, and slowloris attackers.
// Everything they were told goes into the ledger's `messages`.
import { sendSession, slowloris } from './soak-client.mjs';
import { drawKind, withMessageId } from './soak-mail.mjs';

/** An MTA retries for days; the soak stops after this many attempts (the message is then "deferred"). */
const MAX_ATTEMPTS = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Traffic {
  /** Message-ID → { kind, message, attempts }: the ledger's input. */
  messages = new Map();
  slow = { paced: 0, pacedCut: 0 };
  /** Slowloris runs by kind: { runs, cut, cutMs: [], other: { reason: n } }. */
  slowloris = {};
  #retries = [];
  #next = 0;
  #inFlight = 0;

  constructor({ port, kinds, random, seed }) {
    this.port = port;
    this.kinds = kinds;
    this.random = random;
    this.seed = seed;
  }

  /** Retries still waiting. */
  get pending() {
    return this.#retries.length + this.#inFlight;
  }

  /** One client loop: new messages until `until()` says stop, and due retries until `drainUntil`. */
  async client(until, drainUntil) {
    for (;;) {
      const now = Date.now();
      const due = this.#takeRetry(now);
      if (!due && !until()) {
        if (this.pending === 0 || Date.now() > drainUntil) return;
        await sleep(100);
        continue;
      }
      const batch = due ? [due] : this.#newMessages();
      this.#inFlight += batch.length;
      try {
        const results = await sendSession(
          this.port,
          batch.map((m) => ({ mailFrom: this.#mailFrom(m), message: m.message, paceBytesPerSecond: m.pace })),
        );
        results.forEach((result, i) => this.#record(batch[i], result));
        // Nothing listening (sekisho restarting): an MTA waits before its next connection.
        if (results[0]?.phase === 'connect') await sleep(200 + this.random() * 600);
      } finally {
        this.#inFlight -= batch.length;
      }
    }
  }

  /** One slowloris loop, taking turns at the three kinds, until `until()` says stop. */
  async attacker(until, deadlines) {
    const kinds = ['rate', 'data', 'transaction'];
    for (let turn = Math.floor(this.random() * 3); until(); turn++) {
      const kind = kinds[turn % 3];
      const id = `slowloris.${this.seed}.${this.#next++}.a1@soak.test`;
      const giveUp = (kind === 'transaction' ? deadlines.transactionMs : kind === 'data' ? deadlines.dataMs : deadlines.rateGraceMs + 2000) + 10_000;
      const result = await slowloris(this.port, kind, id, giveUp);
      if (result.reply === 'no greeting') {
        await sleep(500);
        continue;
      }
      const stats = (this.slowloris[kind] ??= { runs: 0, cut: 0, cutMs: [], other: {} });
      stats.runs++;
      if (result.cut) {
        stats.cut++;
        stats.cutMs.push(Math.round(result.ms));
      } else {
        stats.other[result.reply] = (stats.other[result.reply] ?? 0) + 1;
      }
      // In the ledger too: a slowloris message must never be found anywhere.
      this.messages.set(id, { kind: `slowloris-${kind}`, message: Buffer.alloc(0), attempts: [{ mailFrom: id, outcome: result.cut ? '4xx' : 'none', phase: 'slowloris', afterDot: false }] });
      if (!result.cut) await sleep(500);
    }
  }

  #newMessages() {
    const r = this.random;
    const count = r() < 0.7 ? 1 : 2 + Math.floor(r() * 2);
    const out = [];
    for (let i = 0; i < count; i++) {
      const kind = drawKind(this.kinds, r);
      const n = this.#next++;
      const id = `soak.${this.seed}.${n}@soak.test`;
      let message = withMessageId(kind.make(r), id);
      if (!message.subarray(-2).equals(Buffer.from('\r\n'))) message = Buffer.concat([message, Buffer.from('\r\n')]);
      const m = { id, kind: kind.kind, message, attempts: [] };
      // A slow but honest client now and then: small mail at 700 B/s, above smtp.min_data_rate.
      if (kind.kind === 'clean' && message.length < 3000 && r() < 0.15) {
        m.pace = 700;
        this.slow.paced++;
      }
      this.messages.set(id, m);
      out.push(m);
    }
    return out;
  }

  #mailFrom(m) {
    return `${m.id.split('@')[0]}.a${m.attempts.length + 1}@soak.test`;
  }

  #record(m, result) {
    m.attempts.push({ mailFrom: this.#mailFrom(m), ...result });
    if (m.pace && result.outcome === '4xx' && /4\.4\.2 (Message|Transaction)/.test(result.text ?? '')) this.slow.pacedCut++;
    if ((result.outcome === '4xx' || result.outcome === 'none') && m.attempts.length < MAX_ATTEMPTS) {
      const k = m.attempts.length;
      const backoff = Math.min(4000, 200 * 2 ** (k - 1)) * (0.5 + this.random());
      this.#retries.push({ m, at: Date.now() + backoff });
    }
  }

  #takeRetry(now) {
    const i = this.#retries.findIndex((x) => x.at <= now);
    if (i === -1) return undefined;
    return this.#retries.splice(i, 1)[0].m;
  }
}
