/**
 * A channel that behaves like a `--workers` IPC channel, both ends in this process: messages cross
 * as JSON, in order, on a later turn, and `close` ends it for both sides as a primary that died.
 */
import type { IpcPort } from "../../src/state/ipc-port.js";

export interface Loopback {
  worker: IpcPort;
  primary: IpcPort;
  /** Ends the channel for both sides, as a primary that died. */
  close(): void;
}

export function loopback(): Loopback {
  const ends = {
    worker: { messages: new Set<(message: unknown) => void>(), closes: new Set<() => void>() },
    primary: { messages: new Set<(message: unknown) => void>(), closes: new Set<() => void>() },
  };
  const port = (from: keyof typeof ends, to: keyof typeof ends): IpcPort => ({
    post: (message) => {
      const copy = JSON.parse(JSON.stringify(message)) as unknown;
      setImmediate(() => {
        for (const onMessage of ends[to].messages) onMessage(copy);
      });
    },
    listen: (onMessage, onClose) => {
      ends[from].messages.add(onMessage);
      ends[from].closes.add(onClose);
      return () => {
        ends[from].messages.delete(onMessage);
        ends[from].closes.delete(onClose);
      };
    },
  });
  return {
    worker: port("worker", "primary"),
    primary: port("primary", "worker"),
    close: () => {
      for (const end of Object.values(ends)) {
        for (const onClose of end.closes) onClose();
        end.messages.clear();
        end.closes.clear();
      }
    },
  };
}
