// The soak's ledger: what each client was told, against what the sink and the quarantine
// hold. Keyed by Message-ID; every attempt at a message has its own envelope sender
// (<message>.a<k>@soak.test), so each copy found names the attempt that made it.
//
// The rules (RFC 5321 §6.1: a 250 hands responsibility over, anything else leaves it with
// the sender):
// - an attempt that got 250 left exactly one copy, at the sink or in the quarantine;
// - an attempt that got 4xx, 5xx or no reply left none, with two exceptions, both the
//   "duplicate on lost 250" of RFC 1047: the client sent the whole message and heard
//   nothing (sekisho was killed after the next hop or the quarantine took it), or sekisho
//   said 4xx because the next hop's own 250 never reached it (the fault injector saw the
//   "." arrive and the reply go missing). Such a copy is counted apart, not as a duplicate;
// - no attempt left two copies, and every copy is whole: the body as sent at the sink (the
//   header may carry sekisho's tags), the exact bytes in the quarantine with its size and
//   SHA-256 as its metadata says.

/**
 * @param {object} input
 * @param {Map<string, {kind: string, message: Buffer, attempts: Array<{mailFrom: string, outcome: string, afterDot: boolean}>}>} input.messages by Message-ID
 * @param {Array<{mailFrom: string, data: Buffer}>} input.sink
 * @param {Array<{id: string, mailFrom: string, raw: Buffer, whole: boolean, problem?: string}>} input.quarantine
 * @param {Set<string>} input.unacknowledged envelope senders whose "." reached the sink without its reply reaching sekisho
 */
export function checkLedger({ messages, sink, quarantine, unacknowledged }) {
  const attemptOf = new Map();
  for (const [messageId, m] of messages) m.attempts.forEach((a, k) => attemptOf.set(a.mailFrom, { messageId, m, a, k }));
  const copies = new Map();
  const problems = [];
  const stray = [];
  const add = (mailFrom, copy) => {
    const at = attemptOf.get(mailFrom);
    if (!at) {
      stray.push({ mailFrom, where: copy.where });
      return;
    }
    const list = copies.get(mailFrom) ?? [];
    list.push(copy);
    copies.set(mailFrom, list);
    if (!copy.whole) problems.push(`${at.messageId}: ${copy.where} copy of attempt ${at.k + 1} is not whole (${copy.problem})`);
  };
  for (const s of sink) {
    const at = attemptOf.get(s.mailFrom);
    const whole = at ? bodyOf(s.data).equals(bodyOf(at.m.message)) : true;
    add(s.mailFrom, { where: 'sink', whole, problem: 'body differs from what was sent' });
  }
  for (const q of quarantine) {
    const at = attemptOf.get(q.mailFrom);
    const exact = at ? q.raw.equals(at.m.message) : true;
    add(q.mailFrom, { where: 'quarantine', whole: q.whole && exact, problem: q.problem ?? 'bytes differ from what was sent' });
  }

  const counts = { sent: messages.size, attempts: 0, '250': 0, '4xx': 0, '5xx': 0, none: 0, delivered: sink.length, quarantined: quarantine.length, lost: 0, duplicated: 0, duplicatedOnLost250: 0, copiesOnLost250: 0, notWhole: 0, stray: stray.length };
  const final = { '250': 0, '4xx': 0, '5xx': 0, none: 0 };
  /** Where attempts with no reply ended: at connect (nothing listening), before or after the ".". */
  const noReply = {};
  const lost = [];
  const duplicated = [];
  for (const [messageId, m] of messages) {
    let legitExtra = 0;
    let bad = false;
    for (const [k, a] of m.attempts.entries()) {
      counts.attempts++;
      counts[a.outcome]++;
      if (a.outcome === 'none') {
        const where = a.afterDot ? 'after "."' : a.phase ?? '?';
        noReply[where] = (noReply[where] ?? 0) + 1;
      }
      const n = (copies.get(a.mailFrom) ?? []).length;
      if (a.outcome === '250') {
        if (n === 0) lost.push(`${messageId} (attempt ${k + 1} got 250, no copy anywhere)`);
        if (n > 1) bad = true;
        continue;
      }
      if (n === 0) continue;
      const lostReply = (a.outcome === 'none' && a.afterDot) || (a.outcome === '4xx' && unacknowledged.has(a.mailFrom));
      if (lostReply && n === 1) legitExtra++;
      else bad = true;
    }
    const last = m.attempts.at(-1);
    if (last) final[last.outcome]++;
    if (bad) duplicated.push(`${messageId}: ${describe(m, copies, unacknowledged)}`);
    else if (legitExtra > 0) {
      counts.copiesOnLost250 += legitExtra;
      // A copy from a lost reply is a duplicate only when another attempt left one too.
      const total = m.attempts.reduce((n, a) => n + (copies.get(a.mailFrom) ?? []).length, 0);
      if (total > 1) counts.duplicatedOnLost250++;
    }
  }
  counts.lost = lost.length;
  counts.duplicated = duplicated.length;
  counts.notWhole = problems.length;
  return { counts, final, noReply, lost, duplicated, problems, stray, ok: lost.length === 0 && duplicated.length === 0 && problems.length === 0 && stray.length === 0 };
}

function describe(m, copies, unacknowledged) {
  return m.attempts
    .map((a, k) => `attempt ${k + 1} ${a.outcome}${a.afterDot ? ' after "."' : ''}${unacknowledged.has(a.mailFrom) ? ' (next-hop reply lost)' : ''}: ${(copies.get(a.mailFrom) ?? []).map((c) => c.where).join('+') || 'no copy'}`)
    .join('; ');
}

/** The body: what sekisho never edits (it edits header fields only). */
function bodyOf(message) {
  const at = message.indexOf('\r\n\r\n');
  return at === -1 ? Buffer.alloc(0) : message.subarray(at + 4);
}
