#!/usr/bin/env python3
"""Independent labels for Office files (olefile + zipfile, not sekisho's code):
path<TAB>container<TAB>label<TAB>detail. label: clean | macro | encrypted | unopenable | not-office | reproducer

"reproducer": files that their project keeps as fuzzer or attack reproducers, by its naming
conventions (LibreOffice's pass/, fail/ and indeterminate/ import-test folders, oss-fuzz
"ofz", "crash-", "hang-", Apache POI's "poc-" and clusterfuzz files): mutated or hostile
bytes by design, not documents anyone mails. They are measured apart."""
import io, os, re, struct, sys, zipfile, zlib
import olefile

OLE = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
ZIP = b'PK\x03\x04'

def ole_vba(ole):
    names = ['/'.join(e).lower() for e in ole.listdir(streams=True, storages=True)]
    for n in names:
        parts = n.split('/')
        if parts[-1] == 'dir' and len(parts) >= 2 and parts[-2] == 'vba':
            return n
    return None

def ppt_vba(ole):
    """The presentation's own VBA project (VBAInfoAtom fHasMacros) or one inside an embedded
    OLE object (ExOleObjStg, zlib-compressed when its instance is 1), as olevba reads them."""
    if not ole.exists('PowerPoint Document'):
        return None
    data = ole.openstream('PowerPoint Document').read()
    found = []
    def walk(buf, start, end, depth):
        i = start
        while i + 8 <= end and not found:
            ver_inst, rtype, rlen = struct.unpack_from('<HHI', buf, i)
            if i + 8 + rlen > end:
                return
            body = buf[i + 8:i + 8 + rlen]
            if rtype == 0x0400 and rlen >= 8 and struct.unpack_from('<I', body, 4)[0] == 1:
                found.append('VBAInfoAtom fHasMacros')
            elif rtype == 0x1011:
                try:
                    inner = zlib.decompress(body[4:]) if ver_inst >> 4 == 1 else body
                    if inner[:8] == OLE and ole_vba(olefile.OleFileIO(io.BytesIO(inner))):
                        found.append('ExOleObjStg with VBA')
                except Exception:
                    pass
            elif (ver_inst & 0xF) == 0xF and depth < 8:
                walk(buf, i + 8, i + 8 + rlen, depth + 1)
            i += 8 + rlen
    walk(data, 0, len(data), 0)
    return found[0] if found else None

def ppt_encrypted(ole):
    """CryptSession10Container (MS-PPT 2.3.7): stored in the clear, found by its header."""
    if not ole.exists('PowerPoint Document'):
        return False
    return b'\x0f\x00\x14\x2f' in ole.openstream('PowerPoint Document').read()

def biff(ole):
    name = 'Workbook' if ole.exists('Workbook') else ('Book' if ole.exists('Book') else None)
    if not name:
        return None, None
    data = ole.openstream(name).read()
    i = 0; xlm = None; enc = None
    while i + 4 <= len(data):
        rtype, rlen = struct.unpack_from('<HH', data, i)
        body = data[i + 4:i + 4 + rlen]
        if rtype == 0x002F:
            enc = 'FilePass'
        if rtype == 0x0085 and len(body) >= 6 and body[5] == 1 and not enc:
            xlm = 'BOUNDSHEET dt=1'
        if rtype == 0x000A and i > 0:  # EOF of globals: sheets come after
            break
        i += 4 + rlen
    return xlm, enc

def label_ole(b):
    ole = olefile.OleFileIO(io.BytesIO(b))
    if ole.exists('EncryptionInfo') or ole.exists('EncryptedPackage'):
        return 'encrypted', 'EncryptionInfo'
    if ole.exists('EncryptedSummary') or ppt_encrypted(ole):
        return 'encrypted', 'CryptSession10Container'
    v = ole_vba(ole) or ppt_vba(ole)
    if v:
        return 'macro', v
    xlm, enc = biff(ole)
    if xlm:
        return 'macro', xlm
    if enc:
        return 'encrypted', enc
    if ole.exists('WordDocument'):
        fib = ole.openstream('WordDocument').read(12)
        if len(fib) >= 12 and struct.unpack_from('<H', fib, 10)[0] & 0x0100:
            return 'encrypted', 'fEncrypted'
    return 'clean', ''

def label_zip(b):
    z = zipfile.ZipFile(io.BytesIO(b))
    bad = z.testzip()
    if bad is not None:
        return 'unopenable', f'bad CRC {bad}'
    names = z.namelist()
    if '[Content_Types].xml' not in names:
        return 'not-office', 'zip without [Content_Types].xml'
    ct = z.read('[Content_Types].xml').decode('utf8', 'replace').lower()
    for n in names:
        ln = n.lower()
        if 'macrosheet' in ln and not ln.endswith('.rels'):
            return 'macro', n
        data = z.read(n)
        if data[:8] == OLE:
            try:
                v = ole_vba(olefile.OleFileIO(io.BytesIO(data)))
            except Exception:
                v = None
            if v:
                return 'macro', n
    if 'vbaproject' in ct or 'macrosheet' in ct:
        return 'macro', 'content type'
    return 'clean', ''

REPRODUCER = re.compile(r'/(?:pass|fail|indeterminate)/|/(?:ofz|crash|hang|poc-|clusterfuzz|forcepoint|cve-)[^/]*$', re.I)

for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        b = f.read()
    if REPRODUCER.search(path):
        kind = 'ole' if b[:8] == OLE else 'zip' if b[:4] == ZIP else 'other'
        print(f'{path}\t{kind}\treproducer\t')
        continue
    if b[:8] == OLE:
        kind = 'ole'
    elif b[:4] == b'PK\x03\x04':
        kind = 'zip'
    elif b[:5] == b'{\\rtf':
        kind = 'rtf'
    else:
        kind = 'other'
    try:
        if kind == 'ole':
            lab, det = label_ole(b)
        elif kind == 'zip':
            lab, det = label_zip(b)
        elif kind == 'rtf':
            # RTF has no macros of its own; its embedded objects are not opened here.
            lab, det = 'clean', ''
        else:
            lab, det = 'not-office', repr(b[:12])
    except Exception as e:
        lab, det = 'unopenable', f'{type(e).__name__}: {e}'
    print(f'{path}\t{kind}\t{lab}\t{det}'.replace('\n', ' '))
