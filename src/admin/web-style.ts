/**
 * The admin page's whole style sheet, inline (the CSP allows inline styles and nothing
 * else). Japanese fonts come first after the system UI font so kana and kanji do not fall
 * back to a Chinese face. Below 760px the list table becomes one card per message.
 */
export const WEB_STYLE = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --card:#fff; --accent:#0b5cad;
  --red:#b42318; --red-bg:#fde8e7; --amber:#8a5a00; --amber-bg:#fff4d6; --green:#1a7f37; --green-bg:#dafbe1; --grey-bg:#eef1f4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--fg); line-height:1.55;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Noto Sans CJK JP", "Yu Gothic UI", Meiryo, sans-serif; }
a { color:var(--accent); }
header.top { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1rem; padding:.6rem 1rem; background:#24292f; color:#fff; }
header.top .brand { color:#fff; font-weight:700; text-decoration:none; font-size:1.1rem; }
header.top nav { display:flex; align-items:center; gap:1rem; margin-left:auto; }
header.top nav a { color:#fff; }
header.top form { margin:0; }
header.top button { background:transparent; color:#fff; border:1px solid #8c959f; }
main { max-width:1200px; margin:0 auto; padding:1rem; }
h1 { font-size:1.35rem; margin:.2rem 0 1rem; overflow-wrap:anywhere; }
h2 { font-size:1.1rem; margin:1.5rem 0 .5rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem; margin-bottom:1rem; }
.muted { color:var(--muted); }
.small { font-size:.85rem; }
.nowrap { white-space:nowrap; }
button, .button { display:inline-block; font:inherit; font-size:.95rem; padding:.45rem .9rem; border-radius:6px; border:1px solid var(--line);
  background:#f3f4f6; color:var(--fg); text-decoration:none; cursor:pointer; line-height:1.3; }
button.primary, .button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
button.danger, .button.danger { background:var(--red); border-color:var(--red); color:#fff; }
input[type=text], input[type=password], input[type=search], select { font:inherit; padding:.4rem .5rem; border:1px solid var(--line);
  border-radius:6px; background:#fff; width:100%; min-width:0; }
label { display:block; font-size:.85rem; color:var(--muted); }
form.search { display:grid; grid-template-columns: 2fr 1fr 1fr 1fr 1fr auto; gap:.6rem; align-items:end; }
form.search .actions { display:flex; gap:.4rem; align-items:center; }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:1rem 0; }
table { width:100%; border-collapse:collapse; background:var(--card); }
th, td { text-align:left; vertical-align:top; padding:.5rem .6rem; border-bottom:1px solid var(--line); overflow-wrap:break-word; }
/* Fixed columns: a long address or URL in a subject wraps inside its cell instead of widening the page. */
table.list, table.findings { table-layout:fixed; }
table.list th:nth-child(1) { width:7.5rem; }
table.list th:nth-child(2) { width:20%; }
table.list th:nth-child(3) { width:19%; }
table.list th:nth-child(5) { width:8.5rem; }
table.list th:nth-child(6) { width:17%; }
table.findings th:nth-child(1) { width:8.5rem; }
table.findings th:nth-child(2) { width:14rem; }
table.findings th:nth-child(4) { width:22%; }
th { font-size:.85rem; color:var(--muted); font-weight:600; background:#f0f2f5; }
table.list tr:hover td { background:#f8fafc; }
table.list td.subject a { font-weight:600; text-decoration:none; }
table.list td.subject a:hover { text-decoration:underline; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; white-space:nowrap; background:var(--grey-bg); }
.badge.malicious, .badge.high { background:var(--red-bg); color:var(--red); }
.badge.suspicious, .badge.medium { background:var(--amber-bg); color:var(--amber); }
.badge.clean, .badge.released, .badge.low { background:var(--green-bg); color:var(--green); }
.codes { display:flex; flex-wrap:wrap; gap:.25rem; }
.codes code { font-size:.78rem; background:var(--grey-bg); padding:0 .3rem; border-radius:4px; }
.pager { display:flex; gap:1rem; align-items:center; justify-content:space-between; margin:1rem 0; }
dl.meta { display:grid; grid-template-columns: max-content 1fr; gap:.35rem 1rem; margin:0; }
dl.meta dt { color:var(--muted); font-size:.9rem; }
dl.meta dd { margin:0; overflow-wrap:anywhere; }
pre.headers { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem; font-size:.8rem; line-height:1.45;
  white-space:pre-wrap; overflow-wrap:anywhere; max-height:32rem; overflow:auto; }
.notice { border-radius:8px; padding:.8rem 1rem; margin-bottom:1rem; border:1px solid var(--line); background:var(--card); }
.notice.ok { background:var(--green-bg); border-color:#aceebb; }
.notice.warn { background:var(--amber-bg); border-color:#f5d58a; }
.notice.error { background:var(--red-bg); border-color:#f5b5b0; }
.notice strong { display:block; font-size:1.05rem; margin-bottom:.2rem; }
.login { max-width:24rem; margin:3rem auto; }
.login button { width:100%; margin-top:.8rem; }
.check { display:flex; gap:.4rem; align-items:center; color:var(--fg); font-size:.95rem; }
@media (max-width: 760px) {
  main { padding:.6rem; }
  form.search { grid-template-columns: 1fr 1fr; }
  form.search .wide, form.search .actions { grid-column: 1 / -1; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display:block; width:100%; }
  table.stack thead { display:none; }
  table.stack { background:transparent; }
  table.stack tr { display:flex; flex-direction:column; background:var(--card); border:1px solid var(--line); border-radius:8px; margin-bottom:.6rem; padding:.4rem .2rem; }
  table.stack td { border:0; padding:.15rem .6rem; overflow-wrap:anywhere; }
  table.stack td::before { content: attr(data-label); display:block; font-size:.75rem; color:var(--muted); }
  table.list td.subject::before { display:none; }
  table.list td.subject { font-size:1.05rem; order:-1; }
  dl.meta { grid-template-columns: 1fr; }
  dl.meta dd { margin-bottom:.4rem; }
}
`;
