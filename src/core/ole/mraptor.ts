/**
 * A port of oletools' MacroRaptor (mraptor.py 0.56.2): a macro is SUSPICIOUS when it runs by
 * itself (AutoExec) and writes to disk (Write) or runs something (Execute). The keyword lists
 * are mraptor's own, unchanged, so results can be compared with `mraptor` on the same file.
 */
export interface MraptorResult {
  readonly autoExec: string[];
  readonly write: string[];
  readonly execute: string[];
  readonly suspicious: boolean;
}

// mraptor's re_autoexec. Note that only the start is anchored by \b (so "AutoOpenX" matches),
// and "Auto_Ope" works around a plugin_biff bug that drops the last byte of "Auto_Open".
const AUTOEXEC =
  /\b(?:Auto(?:Exec|_?Open|_?Close|Exit|New)|Document(?:_?Open|_Close|_?BeforeClose|Change|_New)|NewDocument|Workbook(?:_Open|_Activate|_Close|_BeforeClose)|\w+_(?:Painted|Painting|GotFocus|LostFocus|MouseHover|Layout|Click|Change|Resize|BeforeNavigate2|BeforeScriptExecute|DocumentComplete|DownloadBegin|DownloadComplete|FileDownload|NavigateComplete2|NavigateError|ProgressChange|PropertyChange|SetSecureLockIcon|StatusTextChange|TitleChange|MouseMove|MouseEnter|MouseLeave|OnConnecting))|Auto_Ope\b/gi;

// re_write without RE_OPEN_WRITE, which is matched line by line below.
const WRITE =
  /\b(?:FileCopy|CopyFile|Kill|CreateTextFile|VirtualAlloc|RtlMoveMemory|URLDownloadToFileA?|AltStartupPath|WriteProcessMemory|ADODB\.Stream|WriteText|SaveToFile|SaveAs|SaveAsRTF|FileSaveAs|MkDir|RmDir|SaveSetting|SetAttr)\b/gi;

// re_execute without RE_DECLARE_LIB.
const EXECUTE =
  /\b(?:Shell|CreateObject|GetObject|SendKeys|RUN|CALL|MacScript|FollowHyperlink|CreateThread|ShellExecuteA?|ExecuteExcel4Macro|EXEC|REGISTER|SetTimer)\b/gi;

// MS-VBAL 5.4.5.1 (Open … For Output/…) and 5.2.3.5 (Declare … Lib), i.e. mraptor's
// `\bOpen\b[^\n]+\b(?:Write|…)\b` and `\bDeclare\b[^\n]+\bLib\b`.
const OPEN = /\bOpen\b/i;
const OPEN_MODE = /\b(?:Write|Append|Binary|Output|Random)\b/gi;
const DECLARE = /\bDeclare\b/i;
const LIB = /\bLib\b/gi;

/** Distinct matches kept per category: enough evidence, bounded however hostile the source. */
const MAX_MATCHES = 16;
const MAX_MATCH_LENGTH = 100;

export function mraptor(source: string): MraptorResult {
  // olevba.vba_collapse_long_lines: a trailing " _" continues the statement on the next line.
  const code = source.replaceAll(' _\r\n', ' ').replaceAll(' _\r', ' ').replaceAll(' _\n', ' ');
  const autoExec = distinct(allMatches(AUTOEXEC, code));
  const write = allMatches(WRITE, code);
  const execute = allMatches(EXECUTE, code);
  for (const line of code.split('\n')) {
    const open = spanning(line, OPEN, OPEN_MODE);
    if (open !== undefined) write.push(open);
    const declare = spanning(line, DECLARE, LIB);
    if (declare !== undefined) execute.push(declare);
  }
  const w = distinct(write);
  const x = distinct(execute);
  return { autoExec, write: w, execute: x, suspicious: autoExec.length > 0 && (w.length > 0 || x.length > 0) };
}

function allMatches(re: RegExp, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push(m[0]);
  return out;
}

/**
 * What `first[^\n]+last` matches greedily in one line, found in linear time: the regex itself
 * backtracks quadratically on a long line with many `Open`s, which hostile source can provide.
 * Greedy matching spans from the first `first` to the last `last` at least one character later.
 */
function spanning(line: string, first: RegExp, last: RegExp): string | undefined {
  const head = first.exec(line);
  if (head === null) return undefined;
  last.lastIndex = head.index + head[0].length + 1;
  let end = -1;
  for (let m = last.exec(line); m !== null; m = last.exec(line)) {
    end = m.index + m[0].length;
    if (m[0].length === 0) last.lastIndex++;
  }
  return end < 0 ? undefined : line.slice(head.index, end).slice(0, MAX_MATCH_LENGTH);
}

function distinct(matches: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of matches) {
    const key = m.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
    if (out.length >= MAX_MATCHES) break;
  }
  return out;
}
