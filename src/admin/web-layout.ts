import { Html, html, type HtmlValue } from './html.js';
import { WEB_STYLE } from './web-style.js';

/** The style sheet is our own constant, not text from a message: it goes in unescaped. */
const STYLE = new Html(WEB_STYLE);

/** What every page of a logged-in admin needs: the CSRF token for the logout form. */
export interface PageContext {
  readonly csrf?: string;
}

/** The frame of every page; labels are English with Japanese beside them (most users read Japanese). */
export function layout(title: string, ctx: PageContext, body: HtmlValue): Html {
  const nav =
    ctx.csrf === undefined
      ? ''
      : html`<nav><a href="/quarantine">Quarantine / 隔離</a>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit">Log out / ログアウト</button></form></nav>`;
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} — sekisho</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><a class="brand" href="/quarantine">sekisho 関所</a>${nav}</header>
<main>
${body}
</main>
</body>
</html>
`;
}


export function loginPage(error?: string): Html {
  return layout(
    'Log in',
    {},
    html`<div class="card login">
<h1>Log in / ログイン</h1>
${error ? html`<div class="notice error" role="alert">${error}</div>` : ''}
<form method="post" action="/login">
<label for="token">Admin token / 管理トークン</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit" class="primary">Log in / ログイン</button>
</form>
</div>`,
  );
}

export function disabledPage(): Html {
  return layout(
    'Disabled',
    {},
    html`<div class="notice warn"><strong>The admin page is disabled / 管理画面は無効です</strong>
admin.token is not set. Set <code>admin.token</code> in the configuration and reload sekisho to use it.
</div>`,
  );
}

export function errorPage(status: number, message: string, ctx: PageContext): Html {
  return layout(
    `Error ${status}`,
    ctx,
    html`<div class="notice error" role="alert"><strong>Error ${status}</strong>${message}</div>
<p><a href="/quarantine">Back to the list / 一覧へ戻る</a></p>`,
  );
}

/** "2025-04-01 09:12:05 +09:00": the server's local time with its offset, never ambiguous. */
export function formatTime(iso: string): Html {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return html`<time datetime="${iso}" title="${zone}">${text}</time>`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
