/**
 * Excel 4.0 (XLM) macros in SYLK files (.slk). Excel opens SYLK as a spreadsheet and runs
 * its formulas, so a .slk with EXEC("cmd …") in a cell named Auto_Open is a macro attack
 * that no VBA or OLE check sees. Flagged: a defined name Auto_Open/Auto_Close (NN record),
 * or a cell formula (";E" field of a C record) calling a function that exists only on
 * Excel 4.0 macro sheets.
 */
export interface SylkReport {
  readonly autoNames: readonly string[];
  readonly macroFunctions: readonly string[];
}

const MACRO_FUNCTIONS = new Set([
  'EXEC', 'CALL', 'REGISTER', 'REGISTER.ID', 'RUN', 'HALT', 'ALERT', 'RETURN', 'GOTO', 'FORMULA', 'FORMULA.FILL',
  'FOPEN', 'FWRITE', 'FWRITELN', 'FCLOSE', 'FREAD', 'FREADLN', 'FPOS', 'FSIZE', 'SET.VALUE', 'SET.NAME', 'GET.WORKSPACE',
  'GET.DOCUMENT', 'GET.CELL', 'GET.WINDOW', 'WAIT', 'ON.TIME', 'DIRECTORY', 'FILES', 'FILE.DELETE', 'SAVE.AS',
  'WORKBOOK.HIDE', 'WINDOW.HIDE', 'APP.MINIMIZE', 'ECHO', 'ERROR', 'NEXT', 'WHILE', 'FOR', 'SEND.KEYS', 'DDE.INITIATE',
  'EXECUTE', 'INITIATE', 'REQUEST', 'POKE', 'URLDOWNLOADTOFILEA', 'SHELLEXECUTEA',
]);

/** At most this much of a .slk is read: the records that matter are short text lines. */
const MAX_SCAN = 8 * 1024 * 1024;

export function analyzeSylk(bytes: Buffer): SylkReport {
  const text = bytes.subarray(0, MAX_SCAN).toString('latin1');
  const autoNames = new Set<string>();
  const functions = new Set<string>();
  for (const record of text.split(/\r?\n/)) {
    // ";;" is a literal semicolon inside a field (SYLK escaping); fields start at a single ";".
    const fields = record.replace(/;;/g, '\u0000').split(';').map((f) => f.replace(/\u0000/g, ';'));
    const type = fields[0];
    if (type === 'NN') {
      for (const f of fields.slice(1)) {
        const name = f.startsWith('N') ? f.slice(1) : '';
        if (/^auto_(?:open|close)/i.test(name)) autoNames.add(name);
      }
    } else if (type === 'C') {
      for (const f of fields.slice(1)) {
        if (!f.startsWith('E')) continue;
        for (const m of f.slice(1).toUpperCase().matchAll(/([A-Z][A-Z0-9.]*)\s*\(/g)) {
          const fn = m[1] as string;
          if (MACRO_FUNCTIONS.has(fn)) functions.add(fn);
        }
      }
    }
  }
  return { autoNames: [...autoNames], macroFunctions: [...functions] };
}
