/**
 * Reading one day of a service's logs on the host: every file in the service's log folder (the
 * current one, rotated `.1`, compressed `.gz`), decompressed on the host (`zcat -f` reads plain files
 * as they are), only the lines carrying the date, each file introduced by a marker line.
 */
import { shellQuote } from "../providers/ssh";

/** Starts a file's section in the script's output: the record separator, then the path. */
export const fileMarker = "\u001eFILE ";

/** The script that prints the lines of `date` from every file of `dirs`; missing folders print nothing. */
export function readLogsScript(dirs: readonly string[], date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`--date: expected YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return [
    "set -u",
    `for dir in ${dirs.map(shellQuote).join(" ")}; do`,
    '  [ -d "$dir" ] || continue',
    '  for f in "$dir"/*; do',
    '    [ -f "$f" ] || continue',
    `    printf '\\036FILE %s\\n' "$f"`,
    `    zcat -f -- "$f" | grep -aF -- ${shellQuote(date)} || true`,
    "  done",
    "done",
    "",
  ].join("\n");
}

/** The script's output as lines by file, in the order printed. */
export function splitByFile(output: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith(fileMarker)) {
      current = [];
      files.set(line.slice(fileMarker.length), current);
    } else if (current && line !== "") {
      current.push(line);
    }
  }
  return files;
}
