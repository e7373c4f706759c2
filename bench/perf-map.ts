/**
 * Names for JIT code in callgrind's listings. Callgrind knows no symbol for the machine code V8
 * writes at run time and names such a function by its address (`???:0x000000000d1e3f00 [???]`);
 * node's `--perf-basic-prof` writes each code object's range and name to `/tmp/perf-<pid>.map`,
 * which turns those addresses back into JavaScript function names. Pure functions.
 * @module
 */

export interface PerfMapEntry {
  start: number;
  size: number;
  name: string;
}

/** The lines of a perf map (`<start hex> <size hex> <name>`), sorted by start; others skipped. */
export function parsePerfMap(text: string): PerfMapEntry[] {
  const entries: PerfMapEntry[] = [];
  for (const line of text.split("\n")) {
    const match = /^([0-9a-fA-F]+) ([0-9a-fA-F]+) (.+)$/.exec(line.trim());
    if (match)
      entries.push({
        start: Number.parseInt(match[1]!, 16),
        size: Number.parseInt(match[2]!, 16),
        name: match[3]!,
      });
  }
  return entries.sort((a, b) => a.start - b.start);
}

/**
 * The entry whose range holds `address`. A code object written later over the same addresses (the
 * old one was collected) wins, as the map lists it later; sorting keeps equal starts in that order.
 */
export function entryAt(entries: readonly PerfMapEntry[], address: number): PerfMapEntry | undefined {
  let low = 0;
  let high = entries.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (entries[middle]!.start <= address) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  for (let index = found; index >= 0 && index > found - 64; index--) {
    const entry = entries[index]!;
    if (address < entry.start + entry.size) return entry;
  }
  return undefined;
}

/** A callgrind function name with JIT code's address replaced by `js:<name from the map>`. */
export function symbolize(name: string, entries: readonly PerfMapEntry[]): string {
  const match = /^\?\?\?:0x([0-9a-fA-F]+) \[\?\?\?\]$/.exec(name);
  if (!match) return name;
  const entry = entryAt(entries, Number.parseInt(match[1]!, 16));
  return entry ? `js:${entry.name}` : name;
}
