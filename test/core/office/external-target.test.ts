import { describe, expect, it } from 'vitest';
import { classifyTarget, normalize } from '../../../src/core/office/external-target.js';

const reach = (t: string) => classifyTarget(t).reach;
const hostOf = (t: string) => {
  const r = classifyTarget(t);
  return r.reach === 'remote' ? r.host : undefined;
};

describe('external targets: local paths are not remote', () => {
  it.each([
    // What Word writes for a document made from a template on disk (real documents' targets).
    'file:///C:\\Users\\hausman\\AppData\\Roaming\\Microsoft\\Templates\\NWRA%20Report.dot',
    'file:///D:\\Dokumente\\Custom%20Office%20Templates\\A5%20landscape%20small%20margin.dotx',
    'file:///C:\\Program%20Files\\Microsoft%20Office\\Templates\\1033\\Professional%20Resume.dot',
    'file:///C:/Users/a/Template.dotx',
    'FILE:///c:/users/a/template.dotx',
    'file:/C:/Users/a/Template.dotx',
    'file:C:\\Users\\a\\Template.dotx',
    'file://C:/Users/a/Template.dotx',
    'file://C|/Users/a/Template.dotx',
    'file:////C:\\Users\\tales\\AppData\\Roaming\\Microsoft\\Templates\\Single%20spaced%20(blank).dotx',
    '\\\\C:\\x.dotx',
    'file://localhost/C:/Users/a/Template.dotx',
    'file://127.0.0.1/C$/Templates/x.dotx',
    'file:///Users/jkr/Library/Templates/x.dotx',
    'C:\\Users\\a\\Template.dotx',
    'C:/Users/a/Template.dotx',
    'D:\\Share\\Book1.xlsx',
    '  C:\\Users\\a\\Template.dotx  ',
    '"C:\\Users\\a\\Template.dotx"',
    'Template.dotx',
    'Normal.dotm',
    'Book1',
    '../Templates/Letter.dotx',
    '..\\Templates\\Letter.dotx',
    '/home/yar4e/Book.xlsx',
    'home/user/Book.xlsx',
    'Macintosh%20HD:Users:jkr:Library:Application%20Support:Microsoft:Office:User%20Templates:My%20Templates:list.dotx',
    'Data:Users:cm:Desktop:IR-T1.xlsx',
    '\\\\localhost\\C$\\Templates\\x.dotx',
    '\\\\127.0.0.1\\share\\x.dotx',
    '\\\\?\\C:\\Templates\\x.dotx',
    '\\\\.\\C:\\Templates\\x.dotx',
    'file:///C:\\Users\\Michael\\Documents\\chartdoc.xlsx!Sheet1!%5bchartdoc.xlsx%5dSheet1%20Chart%202',
    'http://localhost/templates/x.dotx',
    'http://[::1]/x.dotx',
  ])('%s', (target) => {
    expect(classifyTarget(target)).toMatchObject({ reach: 'local' });
  });
});

describe('external targets: another host is remote', () => {
  it.each([
    ['http://198.51.100.7/invoice.dotm', '198.51.100.7', 'http'],
    ['https://evil.example/a/b.dotm', 'evil.example', 'https'],
    ['HTTPS://Evil.Example./a.dotm', 'evil.example', 'https'],
    ['  http://evil.example/x.dotm', 'evil.example', 'http'],
    ['ht\ttp://evil.example/x.dotm', 'evil.example', 'http'],
    ['%68ttp://evil.example/x.dotm', 'evil.example', 'http'],
    ['http://user:pw@evil.example:8080/x.dotm', 'evil.example', 'http'],
    ['http:\\\\evil.example\\x.dotm', 'evil.example', 'http'],
    ['ftp://files.example.net/t.dotx', 'files.example.net', 'ftp'],
    ['http://[2001:db8::7]/t.dotm', '2001:db8::7', 'http'],
    // UNC: Windows connects over SMB and sends the reader's NTLM credentials.
    ['\\\\evil.example\\share\\t.dotm', 'evil.example', 'UNC'],
    ['\\\\203.0.113.9\\s\\t.dotm', '203.0.113.9', 'UNC'],
    ['//evil.example/share/t.dotm', 'evil.example', 'UNC'],
    ['\\/evil.example\\share', 'evil.example', 'UNC'],
    ['\\\\\\evil.example\\share', 'evil.example', 'UNC'],
    ['%5C%5Cevil.example%5Cshare%5Ct.dotm', 'evil.example', 'UNC'],
    ['%255C%255Cevil.example%255Cs', 'evil.example', 'UNC'],
    ['\\\\?\\UNC\\evil.example\\share\\t.dotm', 'evil.example', 'UNC'],
    ['\\\\.\\UNC\\evil.example\\share\\t.dotm', 'evil.example', 'UNC'],
    ['\\\\2001-db8--7.ipv6-literal.net\\share\\t.dotm', '2001:db8::7', 'UNC'],
    // WebDAV through the WebClient redirector.
    ['\\\\evil.example@SSL\\DavWWWRoot\\t.dotm', 'evil.example', 'WebDAV'],
    ['\\\\evil.example@80\\t.dotm', 'evil.example', 'WebDAV'],
    ['\\\\evil.example@SSL@443\\DavWWWRoot\\t.dotm', 'evil.example', 'WebDAV'],
    ['\\\\evil.example\\DavWWWRoot\\t.dotm', 'evil.example', 'WebDAV'],
    // file: URLs with a host, or with a UNC path (four or more slashes, or slashes then backslashes).
    ['file://evil.example/share/t.dotm', 'evil.example', 'file URL with a host'],
    ['file://evil.example@SSL/share/t.dotm', 'evil.example@ssl', 'file URL with a host'],
    ['file:////evil.example/share/t.dotm', 'evil.example', 'UNC'],
    ['file://///evil.example/share/t.dotm', 'evil.example', 'UNC'],
    ['file:///\\\\evil.example\\share\\t.dotm', 'evil.example', 'UNC'],
    ['file:\\\\evil.example\\share\\t.dotm', 'evil.example', 'file URL with a host'],
    ['file://\\\\evil.example\\share', 'evil.example', 'UNC'],
    ['file:///%5C%5Cevil.example%5Cshare', 'evil.example', 'UNC'],
    ['file://[2001:db8::7]/share/t.dotm', '2001:db8::7', 'file URL with a host'],
    // Any scheme with an authority names a host.
    ['davs://evil.example/t.dotm', 'evil.example', 'davs'],
  ])('%s', (target, host, form) => {
    expect(classifyTarget(target)).toMatchObject({ reach: 'remote', host, form, intranet: false });
  });

  it('marks hosts that cannot be on the Internet as intranet: a file server, not an attacker', () => {
    for (const t of [
      'file:///\\\\fs1\\ead\\sheena\\analysis%20mechanisms.xlsx',
      '\\\\hza-portland\\shared\\profile.xlsx',
      '\\\\fileserver\\Templates\\Letter.dotx',
      '\\\\192.168.1.10\\share\\x.dotx',
      '\\\\10.0.0.5\\share\\x.dotx',
      '\\\\172.20.1.1\\share\\x.dotx',
      '\\\\169.254.3.3\\share\\x.dotx',
      'http://sharepoint/sites/templates/x.dotx',
      'https://intranet.corp/templates/x.dotx',
      '\\\\nas.local\\share\\x.dotx',
      '\\\\nas.home.arpa\\share\\x.dotx',
      'file://fd00--1.ipv6-literal.net/share/x.dotx',
    ]) {
      expect(classifyTarget(t), t).toMatchObject({ reach: 'remote', intranet: true });
    }
    expect(classifyTarget('\\\\172.32.1.1\\s\\x.dotx')).toMatchObject({ reach: 'remote', intranet: false });
    expect(classifyTarget('\\\\fileserver.example.com\\s\\x.dotx')).toMatchObject({ reach: 'remote', intranet: false });
  });
});

describe('external targets: protocol handlers', () => {
  it('mhtml: and the Office URI schemes are remote through their handler when they wrap a URL (Follina)', () => {
    expect(classifyTarget('mhtml:http://203.0.113.5/exploit.html!x-usc:http://203.0.113.5/exploit.html')).toMatchObject({ reach: 'remote', host: '203.0.113.5', via: 'mhtml' });
    expect(classifyTarget('ms-word:ofe|u|https://evil.example/x.docx')).toMatchObject({ reach: 'remote', host: 'evil.example', via: 'ms-word' });
    expect(classifyTarget('ms-excel:https://evil.example/x.xlsx')).toMatchObject({ reach: 'remote', host: 'evil.example', via: 'ms-excel' });
    expect(classifyTarget('search-ms:query=invoice&crumb=location:%5C%5Cevil.example%5Cshare&displayname=Invoices')).toMatchObject({ reach: 'remote', host: 'evil.example', via: 'search-ms' });
    expect(classifyTarget('mk:@MSITStore:\\\\evil.example\\s\\help.chm::/x.htm')).toMatchObject({ reach: 'remote', host: 'evil.example', via: 'mk' });
  });

  it('any other scheme hands the target to a program', () => {
    for (const [t, scheme] of [
      ['ms-msdt:/id PCWDiagnostic /skip force /param "IT_BrowseForFile=h$(IEX(\'calc\'))i/../../x.exe"', 'ms-msdt'],
      ['MS-MSDT:-id PCWDiagnostic', 'ms-msdt'],
      ['ms-msdt:a:b:c.exe', 'ms-msdt'],
      ['vbscript:a:b:c.vbs', 'vbscript'],
      ['hcp:a:b:c.htm', 'hcp'],
      ['search-ms:query=invoice', 'search-ms'],
      ['ms-officecmd:{"id":3}', 'ms-officecmd'],
      ['mhtml:C:\\x.mht!x-usc:C:\\x.mht', 'mhtml'],
      ['javascript:alert(1)', 'javascript'],
      ['vbscript:msgbox(1)', 'vbscript'],
      ['ms-appinstaller:?source=x', 'ms-appinstaller'],
    ] as const) {
      expect(classifyTarget(t), t).toMatchObject({ reach: 'handler', scheme });
    }
  });

  it('bounded nesting: a chain of wrappers ends as a handler, not a loop', () => {
    expect(classifyTarget(`${'mhtml:'.repeat(20)}C:\\x`)).toMatchObject({ reach: 'handler' });
    expect(hostOf(`${'mhtml:'.repeat(3)}http://evil.example/`)).toBe('evil.example');
  });
});

describe('normalize', () => {
  it('decodes percent-encoding as UTF-8, or Latin-1 when it is not UTF-8, and trims', () => {
    expect(normalize(' "file:///C:\\Program%20Files\\a%C3%A9.dotx" ')).toBe('file:///C:\\Program Files\\aé.dotx');
    expect(normalize('C:\\a%E9.dotx')).toBe('C:\\aé.dotx');
    expect(normalize('C:\\100%\\x')).toBe('C:\\100%\\x');
  });

  it('does not make a local path remote', () => {
    expect(reach('C:\\%5C%5Cnot-a-host\\x')).toBe('local');
  });
});
