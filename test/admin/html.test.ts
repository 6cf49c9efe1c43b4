import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/admin/html.js';

describe('html template', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const subject = `<script>alert("x")</script> & 'y'`;
    expect(html`<a title="${subject}">${subject}</a>`.text).toBe(
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</a>',
    );
  });

  it('keeps nested templates as markup and joins arrays', () => {
    const items = ['<b>', '件名'];
    expect(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.text).toBe('<ul><li>&lt;b&gt;</li><li>件名</li></ul>');
  });

  it('drops undefined, null and false, prints numbers', () => {
    expect(html`${undefined}${null}${false}${0}${12}`.text).toBe('012');
  });

  it('escapes the five characters that matter', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
