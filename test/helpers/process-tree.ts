/** Process-tree checks for tests that must prove no child outlives its parent (Linux /proc). */
import { readdir, readFile } from "node:fs/promises";

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function parentsByPid(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The command name sits in parentheses and may hold spaces: fields are counted after the last ")".
    parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
  }
  return parents;
}

/** The direct children of `parent`. */
export async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const [pid, ppid] of await parentsByPid()) if (ppid === parent) pids.push(pid);
  return pids;
}

/** Every process below `root`. */
export async function descendants(root: number): Promise<number[]> {
  const parents = await parentsByPid();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}
