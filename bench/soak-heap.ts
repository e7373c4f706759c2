/**
 * The gateway's live memory, read the honest way: a full garbage collection forced through the
 * inspector (the soak starts gateways with `--inspect=127.0.0.1:0`), then `process.memoryUsage()`.
 * V8 collects lazily, so RSS and the heap read without it include garbage that a quiet moment or
 * the next major GC frees; what survives a forced collection is what the gateway holds. A leak
 * shows as this figure growing, not as RSS.
 * @module
 */
import { WebSocket } from "undici";

export interface LiveMemory {
  heapUsedMB: number;
  externalMB: number;
  rssMB: number;
}

/** The inspector's WebSocket URL from a process's output (Node prints it on stderr at start). */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}

const round1 = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Forces two full collections and reads the memory left; undefined when the inspector fails. */
export async function liveMemoryAfterGc(url: string, timeoutMs = 15_000): Promise<LiveMemory | undefined> {
  const socket = new WebSocket(url);
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), timeoutMs).unref(),
  );
  const read = async (): Promise<LiveMemory> => {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error(`inspector ${url} refused`)));
    });
    await call("HeapProfiler.enable");
    // Twice: the first collection's finalizers may free more for the second.
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.collectGarbage");
    const evaluated = (await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
    })) as { result?: { value?: string } };
    const usage = JSON.parse(evaluated.result?.value ?? "{}") as NodeJS.MemoryUsage;
    return {
      heapUsedMB: round1(usage.heapUsed),
      externalMB: round1(usage.external),
      rssMB: round1(usage.rss),
    };
  };
  try {
    return await Promise.race([read(), timeout]);
  } catch {
    return undefined;
  } finally {
    socket.close();
  }
}
