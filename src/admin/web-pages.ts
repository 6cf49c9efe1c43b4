import type { ListPage, QuarantineMeta } from '../quarantine/quarantine-store.js';
import type { ReleaseResult } from '../quarantine/release.js';
import { html, type Html } from './html.js';
import { DEFAULT_LIMIT, type ListQuery } from './list-query.js';
import { formatSize, formatTime, layout, type PageContext } from './web-layout.js';

/** The admin's own words for the search form, as typed (the form shows them again). */
export interface SearchForm {
  readonly q: string;
  readonly sender: string;
  readonly recipient: string;
  readonly verdict: string;
  readonly released: string;
}

const VERDICT_OPTIONS: ReadonlyArray<[string, string]> = [
  ['', 'Any / すべて'],
  ['malicious', 'malicious / 悪性'],
  ['suspicious', 'suspicious / 不審'],
  ['unscannable', 'unscannable / 検査不能'],
  ['clean', 'clean / 問題なし'],
];
const RELEASED_OPTIONS: ReadonlyArray<[string, string]> = [
  ['', 'Any / すべて'],
  ['false', 'Held / 保留中'],
  ['true', 'Released / 解放済み'],
];

export function listPage(ctx: PageContext, form: SearchForm, query: ListQuery, page: ListPage): Html {
  const select = (name: string, value: string, options: ReadonlyArray<[string, string]>) =>
    html`<select id="${name}" name="${name}">${options.map(([v, label]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${label}</option>`)}</select>`;
  const first = page.total === 0 ? 0 : query.offset + 1;
  const last = query.offset + page.entries.length;
  const link = (offset: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) if (v !== '') params.set(k, v);
    if (offset > 0) params.set('offset', String(offset));
    if (query.limit !== DEFAULT_LIMIT) params.set('limit', String(query.limit));
    const qs = params.toString();
    return `/quarantine${qs ? `?${qs}` : ''}`;
  };
  const prev = query.offset > 0 ? html`<a href="${link(Math.max(0, query.offset - query.limit))}" rel="prev">← Newer / 新しい</a>` : html`<span></span>`;
  const next = last < page.total ? html`<a href="${link(last)}" rel="next">Older / 古い →</a>` : html`<span></span>`;

  return layout(
    'Quarantine',
    ctx,
    html`<h1>Quarantine / 隔離メール <span class="muted small">${page.total} messages / 件</span></h1>
<form class="search card" method="get" action="/quarantine" role="search">
<div class="wide"><label for="q">Search / 検索</label><input type="search" id="q" name="q" value="${form.q}" placeholder="subject, address, id, finding / 件名・アドレスなど"></div>
<div><label for="sender">Sender / 差出人</label><input type="text" id="sender" name="sender" value="${form.sender}"></div>
<div><label for="recipient">Recipient / 宛先</label><input type="text" id="recipient" name="recipient" value="${form.recipient}"></div>
<div><label for="verdict">Verdict / 判定</label>${select('verdict', form.verdict, VERDICT_OPTIONS)}</div>
<div><label for="released">State / 状態</label>${select('released', form.released, RELEASED_OPTIONS)}</div>
<div class="actions"><button type="submit" class="primary">Search / 検索</button><a href="/quarantine">Clear / クリア</a></div>
</form>
${
  page.entries.length === 0
    ? html`<div class="notice">No messages match. / 該当するメールはありません。</div>`
    : html`<table class="list stack">
<thead><tr><th>Time / 日時</th><th>Sender / 差出人</th><th>Recipients / 宛先</th><th>Subject / 件名</th><th>Verdict / 判定</th><th>Reasons / 理由</th></tr></thead>
<tbody>
${page.entries.map(row)}
</tbody>
</table>`
}
<div class="pager">${prev}<span class="muted small">${first}–${last} / ${page.total}</span>${next}</div>`,
  );
}

function row(meta: QuarantineMeta): Html {
  const from = meta.from || meta.mail_from || '<>';
  return html`<tr>
<td data-label="Time / 日時" class="small">${formatTime(meta.quarantined_at)}</td>
<td data-label="Sender / 差出人">${from}${meta.mail_from && meta.mail_from !== meta.from ? html`<div class="muted small">${meta.mail_from}</div>` : ''}</td>
<td data-label="Recipients / 宛先">${meta.rcpt_to.map((r, i) => html`${i > 0 ? html`<br>` : ''}${r}`)}</td>
<td data-label="Subject / 件名" class="subject"><a href="/quarantine/${meta.id}">${meta.subject || '(no subject / 件名なし)'}</a>${meta.release?.state === 'released' ? html` <span class="badge released">released / 解放済み</span>` : ''}</td>
<td data-label="Verdict / 判定"><span class="badge ${meta.verdict}">${meta.verdict}</span> <span class="muted small">${meta.score}</span></td>
<td data-label="Reasons / 理由"><div class="small">${meta.reason}</div><div class="codes">${meta.findings.map((f) => html`<code>${f.detector}/${f.code}</code>`)}</div></td>
</tr>`;
}

export function detailPage(ctx: PageContext, meta: QuarantineMeta, headers: string): Html {
  const client = [meta.client.name, meta.client.addr && `[${meta.client.addr}]`, meta.client.helo && `helo=${meta.client.helo}`].filter(Boolean).join(' ');
  return layout(
    meta.subject || meta.id,
    ctx,
    html`<p class="small"><a href="/quarantine">← Back to the list / 一覧へ戻る</a></p>
<h1>${meta.subject || '(no subject / 件名なし)'}</h1>
${releaseNotice(meta)}
${ppapNotice(ctx, meta)}
<div class="actions">
<a class="button primary" href="/quarantine/${meta.id}/release">Release / 解放</a>
<a class="button danger" href="/quarantine/${meta.id}/delete">Delete / 削除</a>
<a class="button" href="/quarantine/${meta.id}/raw" download="${meta.id}.eml">Download .eml / ダウンロード</a>
</div>
<div class="card"><dl class="meta">
<dt>From / 差出人</dt><dd>${meta.from || '—'}</dd>
<dt>Envelope sender / エンベロープ差出人</dt><dd>${meta.mail_from || '<>'}</dd>
<dt>Recipients / 宛先</dt><dd>${meta.rcpt_to.join(', ')}</dd>
<dt>Verdict / 判定</dt><dd><span class="badge ${meta.verdict}">${meta.verdict}</span> score ${meta.score}</dd>
<dt>Reason / 理由</dt><dd>${meta.reason}</dd>
<dt>Received / 受信</dt><dd>${formatTime(meta.received_at)}</dd>
<dt>Quarantined / 隔離</dt><dd>${formatTime(meta.quarantined_at)}</dd>
<dt>Client / 送信元</dt><dd>${client || '—'}</dd>
<dt>Size / サイズ</dt><dd>${formatSize(meta.size)}</dd>
<dt>ID</dt><dd><code>${meta.id}</code></dd>
<dt>SHA-256</dt><dd><code class="small">${meta.sha256}</code></dd>
</dl></div>
<h2>Findings / 検出結果</h2>
${
  meta.findings.length === 0
    ? html`<p class="muted">None / なし</p>`
    : html`<table class="findings stack">
<thead><tr><th>Severity / 重大度</th><th>Detector/code</th><th>Summary / 概要</th><th>Part / パート</th></tr></thead>
<tbody>${meta.findings.map(
        (f) => html`<tr><td data-label="Severity / 重大度"><span class="badge ${f.severity}">${f.severity}</span></td><td data-label="Detector/code"><code>${f.detector}/${f.code}</code></td><td data-label="Summary / 概要">${f.summary}</td><td data-label="Part / パート" class="small">${partOf(f.evidence)}</td></tr>`,
      )}</tbody>
</table>`
}
<h2>Headers / ヘッダー</h2>
<pre class="headers">${headers}</pre>`,
  );
}

function partOf(evidence: Readonly<Record<string, unknown>>): string {
  const part = evidence['part'];
  return typeof part === 'string' || typeof part === 'number' ? String(part) : '';
}

const PPAP_RESULTS: Readonly<Record<string, string>> = {
  released: 'opened, clean, released / 開封・問題なし・解放',
  kept: 'opened, kept: bad inside / 開封・中身に問題あり・隔離継続',
  'wrong-password': 'wrong password / パスワード不一致',
  expired: 'window over / 期限切れ',
  error: 'could not be tried / 試行できず',
};

/**
 * PPAP: the zip waits for its password (time left), what each attempt did and with whose
 * password; a form to type one. No password is ever shown.
 */
function ppapNotice(ctx: PageContext, meta: QuarantineMeta): Html | '' {
  const p = meta.ppap;
  if (!p) return '';
  const left = Math.max(0, Math.round((Date.parse(p.until) - Date.now()) / 60_000));
  const head =
    p.state === 'awaiting'
      ? html`<strong>Awaiting password / パスワード待ち</strong>${left >= 60 ? `${Math.floor(left / 60)} h ${left % 60} min` : `${left} min`} left, until ${formatTime(p.until)}. A later mail from ${p.senders.join(', ')} that states the password opens it; clean contents are released. / 同じ差出人からのパスワード通知で開封し、問題がなければ自動で解放します。`
      : html`<strong>PPAP: ${PPAP_RESULTS[p.state] ?? p.state}</strong>`;
  const attempts = p.attempts.map((a) => html`<li>${formatTime(a.at)} — ${PPAP_RESULTS[a.result] ?? a.result} (${a.source})</li>`);
  const form =
    p.state === 'awaiting' && ctx.csrf
      ? html`<form method="post" action="/quarantine/${meta.id}/open" class="inline">
<input type="hidden" name="csrf" value="${ctx.csrf}">
<label for="password">Password / パスワード</label>
<input type="password" id="password" name="password" autocomplete="off" required maxlength="256">
<button type="submit">Open and inspect / 開封して検査</button>
</form>`
      : '';
  return html`<div class="notice ${p.state === 'awaiting' ? 'warn' : 'ok'}">${head}${attempts.length > 0 ? html`<ul class="small">${attempts}</ul>` : ''}${form}</div>`;
}

function releaseNotice(meta: QuarantineMeta): Html | '' {
  const r = meta.release;
  if (!r) return '';
  if (r.state === 'released') {
    return html`<div class="notice ok"><strong>Released / 解放済み</strong>${formatTime(r.at)} by ${r.by}${r.node ? html` on ${r.node}` : ''} to ${r.to.join(', ')}${r.reply ? html`<div class="small muted">${r.reply}</div>` : ''}</div>`;
  }
  return html`<div class="notice warn"><strong>Release interrupted / 解放が中断されました</strong>A release started ${formatTime(r.at)} by ${r.by}${r.node ? html` on node ${r.node}` : ''} did not finish: whether the next hop got the message is unknown. 送信されたかどうか不明です。</div>`;
}

function summaryCard(meta: QuarantineMeta): Html {
  return html`<div class="card"><dl class="meta">
<dt>Subject / 件名</dt><dd>${meta.subject || '(no subject / 件名なし)'}</dd>
<dt>From / 差出人</dt><dd>${meta.from || meta.mail_from || '<>'}</dd>
<dt>Verdict / 判定</dt><dd><span class="badge ${meta.verdict}">${meta.verdict}</span> ${meta.reason}</dd>
</dl></div>`;
}

export function confirmReleasePage(ctx: PageContext & { readonly csrf: string }, meta: QuarantineMeta, error?: string): Html {
  const inDoubt = meta.release?.state === 'releasing';
  return layout(
    'Release',
    ctx,
    html`<p class="small"><a href="/quarantine/${meta.id}">← Back / 戻る</a></p>
<h1>Release this message to ${meta.rcpt_to.join(', ')}? / このメールを解放しますか？</h1>
${error ? html`<div class="notice error" role="alert">${error}</div>` : ''}
${releaseNotice(meta)}
${summaryCard(meta)}
<form method="post" action="/quarantine/${meta.id}/release" class="card">
<input type="hidden" name="csrf" value="${ctx.csrf}">
<label for="recipients">Other recipients instead (optional, comma-separated) / 別の宛先（任意・カンマ区切り）</label>
<input type="text" id="recipients" name="recipients" placeholder="${meta.rcpt_to.join(', ')}" autocomplete="off">
${inDoubt ? html`<p><label class="check"><input type="checkbox" name="force" value="true"> Send anyway, even if it may have been delivered already / 重複の可能性があっても送信する</label></p>` : ''}
<div class="actions"><button type="submit" class="primary">Release / 解放</button><a href="/quarantine/${meta.id}">Cancel / キャンセル</a></div>
</form>`,
  );
}

export function releaseResultPage(ctx: PageContext, id: string, result: ReleaseResult): Html {
  const notice = (() => {
    switch (result.status) {
      case 'released':
        return html`<div class="notice ok" role="status"><strong>Released / 解放しました</strong>Sent to ${result.meta.release?.to.join(', ')}. Next hop: ${result.reply}
${result.refused.length > 0 ? html`<div>Refused / 拒否: ${result.refused.map((r) => html`<div>${r.to}: ${r.reply}</div>`)}</div>` : ''}</div>`;
      case 'already-released':
        return html`<div class="notice ok" role="status"><strong>Already released — nothing sent again / 解放済みです（再送していません）</strong>${result.meta.release ? html`Released ${formatTime(result.meta.release.at)} by ${result.meta.release.by}.` : ''}</div>`;
      case 'in-doubt':
        return html`<div class="notice warn" role="alert"><strong>In doubt — not sent / 送信結果不明のため送信していません</strong>An earlier release was interrupted; the next hop may already have the message. To send anyway, tick the box on the <a href="/quarantine/${id}/release">release page</a>.</div>`;
      case 'failed':
        return html`<div class="notice error" role="alert"><strong>Release failed / 解放に失敗しました</strong>The next hop replied: ${result.reply}. The message stays in quarantine.</div>`;
      case 'not-found':
        return html`<div class="notice error" role="alert"><strong>Not found / 見つかりません</strong>The message is no longer in quarantine.</div>`;
    }
  })();
  return layout(
    'Release',
    ctx,
    html`<h1>Release / 解放</h1>
${notice}
<p class="actions">${result.status === 'not-found' ? '' : html`<a href="/quarantine/${id}">Back to the message / メールへ戻る</a>`}<a href="/quarantine">Back to the list / 一覧へ戻る</a></p>`,
  );
}

export function confirmDeletePage(ctx: PageContext & { readonly csrf: string }, meta: QuarantineMeta): Html {
  return layout(
    'Delete',
    ctx,
    html`<p class="small"><a href="/quarantine/${meta.id}">← Back / 戻る</a></p>
<h1>Delete this message permanently? / このメールを完全に削除しますか？</h1>
${summaryCard(meta)}
<form method="post" action="/quarantine/${meta.id}/delete">
<input type="hidden" name="csrf" value="${ctx.csrf}">
<div class="actions"><button type="submit" class="danger">Delete / 削除</button><a href="/quarantine/${meta.id}">Cancel / キャンセル</a></div>
</form>`,
  );
}

export function deletedPage(ctx: PageContext, deleted: boolean): Html {
  return layout(
    'Delete',
    ctx,
    html`<h1>Delete / 削除</h1>
${deleted ? html`<div class="notice ok" role="status"><strong>Deleted / 削除しました</strong></div>` : html`<div class="notice warn" role="status"><strong>Not found / 見つかりません</strong>It was already gone.</div>`}
<p><a href="/quarantine">Back to the list / 一覧へ戻る</a></p>`,
  );
}
