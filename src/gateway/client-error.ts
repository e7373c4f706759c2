/**
 * Answers a connection whose bytes Node's HTTP parser refused — headers over `max_header_bytes`,
 * malformed HTTP, a request not received within `client_timeout` — in the gateway's error format.
 * No request object exists at that point, so fastify's error handler never sees these: the answer
 * is written on the raw socket (fastify's `clientErrorHandler`).
 * @module
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import { protocolOfPath } from "./endpoint.js";
import { errorBody } from "./error-reply.js";
import { GatewayError } from "./errors.js";

/** The response Node attaches to a socket once a request's headers are read. */
interface PendingResponse {
  headersSent?: boolean;
  req?: { url?: string };
}

export interface ClientErrorLimits {
  maxHeaderBytes: number;
  /** 0: no URL limit of its own. */
  maxUrlBytes: number;
  clientTimeoutSeconds: number;
}

/**
 * How long a connection refused for what it sent stays open after the answer, reading and dropping
 * what the client still sends: closing a socket with unread bytes makes the kernel send a reset,
 * and a client still writing its oversized headers could lose the answer before reading it. A
 * client cut off for being too slow gets no such grace.
 */
const LINGER_MS = 1_000;

/** Enough of the first packet to read the method and the start of the target. */
const REQUEST_LINE_PEEK_BYTES = 64;

export function createClientErrorHandler(
  limits: ClientErrorLimits,
  nextRequestId: () => string,
  logger: FastifyBaseLogger,
): (error: Error, socket: Socket) => void {
  // Node reports every later chunk of a refused connection again: only the first report answers.
  const answered = new WeakSet<Socket>();
  return function handleClientError(error: Error, socket: Socket): void {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ECONNRESET" || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    logger.debug({ code }, "client connection refused");
    // A response already on its way cannot be followed by another one on the same connection.
    const inFlight = (socket as Socket & { _httpMessage?: PendingResponse })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const packet = (error as { rawPacket?: unknown }).rawPacket;
    const target = Buffer.isBuffer(packet) ? requestTarget(packet) : undefined;
    const refusal = refusalFor(code, target, limits);
    // A request whose headers were read (then cut off for its slow body) names its own route.
    const url = inFlight?.req?.url ?? target?.start ?? "/";
    const body = JSON.stringify(errorBody(protocolOfPath(url), refusal));
    const answer =
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${nextRequestId()}\r\n` +
      `Connection: close\r\n\r\n${body}`;
    if (refusal.code === "SWY_ERR_CLIENT_TIMEOUT") {
      socket.write(answer);
      socket.destroy();
      return;
    }
    socket.end(answer);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

function refusalFor(
  code: string | undefined,
  target: RequestTarget | undefined,
  limits: ClientErrorLimits,
): GatewayError {
  if (code === "HPE_HEADER_OVERFLOW") {
    // The URL counts toward Node's header limit: a URL that alone is too long gets the URL's answer.
    if (limits.maxUrlBytes > 0 && target && target.length > limits.maxUrlBytes) {
      return new GatewayError(
        "SWY_ERR_URL_TOO_LONG",
        `The request URL is longer than the gateway's limit of ${limits.maxUrlBytes} bytes.`,
      );
    }
    return new GatewayError(
      "SWY_ERR_HEADERS_TOO_LARGE",
      `The request line and headers are larger than the gateway's limit of ${limits.maxHeaderBytes} bytes.`,
    );
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return new GatewayError(
      "SWY_ERR_CLIENT_TIMEOUT",
      `The request was not received in full within ${limits.clientTimeoutSeconds} s.`,
    );
  }
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") {
    return new GatewayError("SWY_ERR_BODY_TOO_LARGE", "The request's chunk extensions are too large.");
  }
  return new GatewayError("SWY_ERR_MALFORMED_HTTP", `The request is not valid HTTP (${code ?? "unknown"}).`);
}

interface RequestTarget {
  /** The first characters of the target: enough to tell which protocol's error format to answer in. */
  start: string;
  /** Its length in bytes, or at least this many when the packet ends inside it. */
  length: number;
}

/**
 * The request target of the request line the packet starts with. Node hands over only the chunk
 * that failed to parse, which for a request sent in pieces may not be the first one: then nothing.
 */
function requestTarget(packet: Buffer): RequestTarget | undefined {
  const head = packet.subarray(0, REQUEST_LINE_PEEK_BYTES).toString("latin1");
  const method = /^[A-Z]+ /.exec(head);
  if (!method) return undefined;
  const startAt = method[0].length;
  let endAt = packet.indexOf(0x20, startAt);
  if (endAt < 0) endAt = packet.indexOf(0x0d, startAt);
  if (endAt < 0) endAt = packet.length;
  return {
    start: packet.subarray(startAt, Math.min(endAt, startAt + REQUEST_LINE_PEEK_BYTES)).toString("latin1"),
    length: endAt - startAt,
  };
}
