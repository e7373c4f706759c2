/**
 * One end of the channel between a `--workers` primary and a worker, as the IPC store sees it:
 * post a message, hear messages and the channel's end. {@link channelPort} adapts whatever Node
 * gives (a worker's `process`, a primary's `cluster.Worker`, a forked `ChildProcess`); tests may
 * pass any other pair that keeps message order.
 * @module
 */

export interface IpcPort {
  /** Sends one message. On a channel that is gone it is dropped: the loss shows through `listen`. */
  post(message: object): void;
  /**
   * Calls `onMessage` for each message in the order sent, and `onClose` once when the channel
   * ends. Returns the function that stops both.
   */
  listen(onMessage: (message: unknown) => void, onClose: () => void): () => void;
}

/** What `process`, `ChildProcess` and `cluster.Worker` have in common. */
export interface ChannelEnd {
  send?(message: object, callback: (error: Error | null) => void): boolean;
  on(event: string, listener: (message: unknown) => void): unknown;
  off(event: string, listener: (message: unknown) => void): unknown;
}

/** A worker dies with its channel: `disconnect` comes first, `exit` covers a channel already gone. */
const CLOSING_EVENTS = ["disconnect", "exit"] as const;

/** `end` as a port: `process` in a worker, the `cluster.Worker` (or `ChildProcess`) in the primary. */
export function channelPort(end: ChannelEnd): IpcPort {
  // With a callback, a send on a closed channel reports to it instead of throwing or emitting
  // `error`; the closing itself reaches `listen` through `disconnect`.
  const ignoreSendError = () => {};
  return {
    post(message) {
      end.send?.(message, ignoreSendError);
    },
    listen(onMessage, onClose) {
      let open = true;
      const closed = () => {
        if (!open) return;
        open = false;
        stop();
        onClose();
      };
      const stop = () => {
        end.off("message", onMessage);
        for (const event of CLOSING_EVENTS) end.off(event, closed);
      };
      end.on("message", onMessage);
      for (const event of CLOSING_EVENTS) end.on(event, closed);
      return () => {
        open = false;
        stop();
      };
    },
  };
}
