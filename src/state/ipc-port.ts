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

/** Marks a message that carries several posted in one turn; no store message has this field. */
const BATCH = "switchyardStateBatch";

/**
 * `end` as a port: `process` in a worker, the `cluster.Worker` (or `ChildProcess`) in the primary.
 * Messages posted in one turn of the event loop travel as one: each IPC message costs a
 * serialization and a pipe write on one side and a parse and an event on the other, which under
 * load (an acquire, its reply and a release per capped request) is most of the channel's cost.
 */
export function channelPort(end: ChannelEnd): IpcPort {
  // With a callback, a send on a closed channel reports to it instead of throwing or emitting
  // `error`; the closing itself reaches `listen` through `disconnect`.
  const ignoreSendError = () => {};
  let queued: object[] = [];
  const flush = () => {
    const messages = queued;
    queued = [];
    end.send?.(messages.length === 1 ? messages[0]! : { [BATCH]: messages }, ignoreSendError);
  };
  return {
    post(message) {
      queued.push(message);
      if (queued.length === 1) setImmediate(flush);
    },
    listen(onEachMessage, onClose) {
      const onMessage = (message: unknown) => {
        const batch = (message as { [BATCH]?: unknown } | null)?.[BATCH];
        if (!Array.isArray(batch)) return onEachMessage(message);
        for (const each of batch) onEachMessage(each);
      };
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
