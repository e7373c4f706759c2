/**
 * Stream converters stack. A response stream passes, event by event, through layers that read events
 * in the backend's protocol and hand events on (stream resume, reasoning separation), and ends in the
 * translator's StreamConverter, which writes the client's frames. The stack is a StreamConverter
 * itself, so the pump neither knows nor cares how many layers there are.
 * @module
 */
import type { SseMessage, StreamConverter } from "../protocol/translate/translator.js";

/** One layer under a translator's converter: parsed events in, parsed events for the layer above out. */
export interface StreamLayer {
  event(message: SseMessage): SseMessage[];
  /** The upstream ended: what the layer still holds, and what closes the stream if it must. */
  end(): SseMessage[];
  /** The stream ends with an error: what the layer still holds (it goes out before the error). */
  fail(): SseMessage[];
}

/** `layers` bottom first (the one nearest the upstream), then `top`, as one converter. */
export function stack(layers: readonly StreamLayer[], top: StreamConverter): StreamConverter {
  return layers.reduceRight<StreamConverter>((above, layer) => over(layer, above), top);
}

function over(layer: StreamLayer, above: StreamConverter): StreamConverter {
  const through = (messages: SseMessage[]): string[] => {
    if (messages.length === 1) return above.event(messages[0]!);
    const frames: string[] = [];
    for (const message of messages) frames.push(...above.event(message));
    return frames;
  };
  return {
    event: (message) => through(layer.event(message)),
    end: () => [...through(layer.end()), ...above.end()],
    fail: (status, message) => [...through(layer.fail()), ...above.fail(status, message)],
  };
}
