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
        for (const fn of calledNames(f.slice(1).toUpperCase())) if (MACRO_FUNCTIONS.has(fn)) functions.add(fn);
      }
    }
  }
  return { autoNames: [...autoNames], macroFunctions: [...functions] };
}

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isNameChar = (c: number): boolean => isUpper(c) || (c >= 48 && c <= 57) || c === 46;
const SPACE = /\s/;

/**
 * The names called in a formula: what `/([A-Z][A-Z0-9.]*)\s*\(/g` matches, in one pass.
 * That regex retries from every letter of a run that is not followed by "(", so one cell of
 * 256 KB of "A" took over 40 s. A call's name starts at the first letter of a run of name
 * characters and ends with the run (a shorter name would be followed by a name character,
 * not by "(").
 */
function calledNames(formula: string): string[] {
  const names: string[] = [];
  const n = formula.length;
  let i = 0;
  while (i < n) {
    if (!isNameChar(formula.charCodeAt(i))) {
      i++;
      continue;
    }
    let start = -1;
    let j = i;
    for (; j < n && isNameChar(formula.charCodeAt(j)); j++) if (start < 0 && isUpper(formula.charCodeAt(j))) start = j;
    let k = j;
    while (k < n && SPACE.test(formula[k] as string)) k++;
    if (start >= 0 && formula[k] === '(') {
      names.push(formula.slice(start, j));
      i = k + 1;
    } else {
      i = j;
    }
  }
  return names;
}
