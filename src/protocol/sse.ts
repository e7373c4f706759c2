/**
 * Server-sent event framing shared by the gateway, the mock and serve.
 * Parsing goes through eventsource-parser; only writing lives here.
 * @module
 */

/** A `data:` frame carrying one JSON payload (OpenAI streams use unnamed events). */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/**
 * A frame for data as a parser delivered it. Data that spans lines (eventsource-parser joins the
 * event's `data:` lines with "\n") goes back out as one `data:` field per line, so the client reads
 * the same event.
 */
export function sseRawData(data: string, event?: string): string {
  const name = event === undefined ? "" : `event: ${event}\n`;
  if (!data.includes("\n")) return `${name}data: ${data}\n\n`;
  return `${name}data: ${data.split("\n").join("\ndata: ")}\n\n`;
}

/** A named event frame (Anthropic streams name every event). */
export function sseEvent(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** OpenAI's end-of-stream sentinel. */
export const SSE_DONE = "data: [DONE]\n\n";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
} as const;
