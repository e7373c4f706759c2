/**
 * Tells a listener each frame a stream converter hands the client (its events, closing frames and
 * error frame), leaving them as they are: how the ledger keeps a pumped stream's text as the
 * client got it. Only wrapped in when a listener is there, so an untapped stream pays nothing.
 * @module
 */
import type { StreamConverter } from "../protocol/translate/translator.js";

export function tapConverter(
  converter: StreamConverter,
  onFrames: ((frames: string) => void) | undefined,
): StreamConverter {
  if (!onFrames) return converter;
  const told = (frames: string[]) => {
    if (frames.length > 0) onFrames(frames.join(""));
    return frames;
  };
  return {
    event: (message) => told(converter.event(message)),
    end: () => told(converter.end()),
    fail: (status, message) => told(converter.fail(status, message)),
  };
}
