import { describe, expect, it } from 'vitest';
import { readHtml } from '../../../src/core/mime/html-reading.js';
import { htmlToText } from '../../../src/core/mime/message-text.js';

describe('htmlToText (the tokenizer reading)', () => {
  it('decodes entities, named and numeric, in text', () => {
    expect(htmlToText('<p>A&amp;B &lt;x&gt; &#65306; &#x41; &yen;100&nbsp;円</p>')).toBe('A&B <x> ： A ¥100\u00a0円\n');
  });

  it('turns <br> and block ends into one newline, inline elements into nothing', () => {
    expect(htmlToText('a<br>b<br/>c')).toBe('a\nb\nc');
    expect(htmlToText('<div>one</div><div>two</div>')).toBe('one\ntwo\n');
    expect(htmlToText('パス<b>ワード</b>：<span>abc</span>')).toBe('パスワード：abc');
    expect(htmlToText('<table><tr><td>PW</td></tr><tr><td>abc</td></tr></table>')).toBe('PW\nabc\n');
  });

  it('reads tag names in any case and spelling, short or long, as the same element', () => {
    // Short names take a packed-integer cache, longer ones a string cache: both must agree.
    expect(htmlToText('<TD>a</Td><tD>b</td><B>c</b><H1>d</h1><SCRIPT>x</script><Script>y</SCRIPT>e')).toBe('a\nb\nc\nd\ne');
    expect(htmlToText('<TABLE><TR><TD>PW</TD></TR></TABLE><Style>p{}</sTyLe>ok')).toBe('PW\nok');
    // A name with a character outside [A-Za-z0-9] is not a short-cache key ("b:x" is not "b").
    expect(htmlToText('x<b:x>y</b:x>z')).toBe('x\ny\nz');
  });

  it('keeps one newline in the outside text however many boundaries meet, and entity runs whole', () => {
    const r = readHtml('<table><tr><td>one</td></tr><tr><td>two</td></tr></table><a href="https://l.example/">link</a>x&amp;&#x41;&lt;y');
    expect(r.text).toBe('one\ntwo\nx&A<y');
    expect(readHtml(`<p>${'&amp;'.repeat(10_000)}</p>`).visibleText).toBe(`${'&'.repeat(10_000)}\n`);
  });

  it('hides script, style, title and template text, and comments', () => {
    expect(htmlToText('<style>p{color:red}</style><script>var pw="x";</script><title>t</title>shown<!-- hidden -->')).toBe('shown');
  });

  it('an unclosed script hides the rest, as a browser does', () => {
    expect(htmlToText('before<script>var a = "<b>after</b>";').trim()).toBe('before');
  });

  it('keeps anchor text in the visible text, and it is a target too', () => {
    const r = readHtml('<p>Sign in: <a href="https://example.com/x">here</a> now</p>');
    expect(r.visibleText).toBe('Sign in: here now\n');
    expect(r.targets).toEqual([{ value: 'https://example.com/x', text: 'here' }]);
    expect(r.text).not.toContain('here');
  });

  it('reads links, base and text from one pass', () => {
    const r = readHtml('<base href="https://base.example/"><a href="/login">Log in</a><form action="https://f.example/"></form>www.t.example');
    expect(r.base).toBe('https://base.example/');
    expect(r.targets.map((t) => t.value)).toEqual(['/login', 'https://f.example/']);
    expect(r.visibleText).toContain('www.t.example');
    expect(r.text).toContain('www.t.example');
  });

  it('clips the text kept for one anchor, however long the run inside it', () => {
    const r = readHtml(`<a href="https://e.example/">${'x'.repeat(100_000)}</a>`);
    expect(r.targets[0]?.text?.length).toBe(500);
    expect(r.visibleText.length).toBe(100_000);
  });

  it('reads text after unclosed tags and runs of "<" without losing what came before', () => {
    expect(htmlToText(`ok${'<'.repeat(1000)}`)).toContain('ok');
    expect(htmlToText('ok<a href=<a href=<a href=')).toBe('ok');
  });
});
