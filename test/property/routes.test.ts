/**
 * Hostile input against every route (issue 10, "Hostile input"): random JSON, request-shaped objects
 * mixing valid and invalid fields, mutated valid requests, bytes that are not JSON or not UTF-8, any
 * content type, random paths, methods, query strings and headers. Whatever comes in, the gateway
 * answers (no hang), never with a 500, and every error body is in the route's protocol
 * (README, "Errors"). The gateways run in-process in front of in-process mocks (see gateway.ts).
 */
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway/app.js";
import { anyString, badBytes, contentTypeArb, headerValueArb, jsonText, mutatedFrom } from "./arbitraries.js";
import {
  ADMIN_TOKEN,
  type Answer,
  BODY_LIMIT,
  expectWellFormed,
  type FuzzGateways,
  MODELS,
  nodeNames,
  send,
  startFuzzGateways,
} from "./gateway.js";
import { POST_ROUTES, type PostRoute } from "./requests.js";
import { runs, timeoutFor } from "./support.js";

let gateways: FuzzGateways;

beforeAll(async () => {
  gateways = await startFuzzGateways();
});

afterAll(async () => {
  await gateways?.close();
});

function gatewayFor(route: PostRoute): Gateway {
  return route.target === "inference" ? gateways.inference : gateways.admin;
}

async function post(
  route: PostRoute,
  payload: string | Buffer,
  headers: Record<string, string> = { "content-type": "application/json" },
  query = "",
): Promise<Answer> {
  return send(gatewayFor(route), { method: "POST", url: `${route.path}${query}`, payload, headers });
}

/** Whether the body asked for a stream (then a success must be one). */
function asksStream(text: string): boolean {
  try {
    return (JSON.parse(text) as { stream?: unknown })?.stream === true;
  } catch {
    return false;
  }
}

const routeArb = fc.constantFrom(...POST_ROUTES);

/** A valid request for an inference route (every model, streamed or not, tools, reasoning fields). */
const inferenceTemplates = fc
  .constantFrom(...POST_ROUTES.filter((route) => route.target === "inference"))
  .chain((route) => route.templates.map((template) => ({ route, template })));

describe("every POST route, hostile bodies", () => {
  it(
    "arbitrary JSON values",
    async () => {
      await fc.assert(
        fc.asyncProperty(routeArb, jsonText(["model", "messages", "name", "url"], 4), async (route, text) => {
          const answer = await post(route, text);
          expectWellFormed(route.path, answer, { stream: asksStream(text) });
          // Only an object can be a request: any other JSON is the client's mistake.
          if (typeof JSON.parse(text) !== "object" || Array.isArray(JSON.parse(text))) {
            if (route.target === "inference") expect(answer.status).toBe(400);
          }
        }),
        runs(150),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "fc.jsonValue bodies",
    async () => {
      await fc.assert(
        fc.asyncProperty(routeArb, fc.jsonValue(), async (route, value) => {
          const text = JSON.stringify(value);
          const answer = await post(route, text);
          expectWellFormed(route.path, answer, { stream: asksStream(text) });
        }),
        runs(100),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "request-shaped objects mixing valid and invalid fields",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          routeArb.chain((route) => route.shaped.map((text) => ({ route, text }))),
          async ({ route, text }) => {
            const answer = await post(route, text);
            expectWellFormed(route.path, answer, { stream: asksStream(text) });
            if (Buffer.byteLength(text) > BODY_LIMIT) expect(answer.status).toBe(413);
          },
        ),
        runs(300),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "valid requests with one field dropped, replaced, retyped, wrapped or emptied",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          routeArb.chain((route) => mutatedFrom(route.templates).map((mutated) => ({ route, ...mutated }))),
          async ({ route, body }) => {
            const text = JSON.stringify(body);
            const answer = await post(route, text);
            expectWellFormed(route.path, answer, { stream: asksStream(text) });
          },
        ),
        runs(300),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "bytes that are not JSON, not UTF-8 or cut short, under any content type",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          routeArb.chain((route) =>
            fc.record({
              route: fc.constant(route),
              bytes: badBytes(route.templates.map((template) => JSON.stringify(template))),
              contentType: contentTypeArb,
            }),
          ),
          async ({ route, bytes, contentType }) => {
            const headers: Record<string, string> =
              contentType === undefined ? {} : { "content-type": contentType };
            const answer = await post(route, bytes, headers);
            expectWellFormed(route.path, answer, { stream: asksStream(bytes.toString("utf8")) });
          },
        ),
        runs(200),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "valid requests succeed under any content type a client might send",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          inferenceTemplates,
          fc.constantFrom(
            undefined,
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-8",
          ),
          fc.context(),
          async ({ route, template }, contentType, context) => {
            const headers: Record<string, string> =
              contentType === undefined ? {} : { "content-type": contentType };
            const text = JSON.stringify(template);
            const answer = await post(route, text, headers);
            context.log(`${answer.status} ${answer.body.slice(0, 200)}`);
            expectWellFormed(route.path, answer, { stream: asksStream(text) });
            expect(answer.status).toBe(200);
          },
        ),
        runs(20, 40),
      );
    },
    timeoutFor(20_000),
  );
});

describe("valid requests", () => {
  it(
    "every template succeeds, through translation and reasoning separation, streamed or not",
    async () => {
      await fc.assert(
        fc.asyncProperty(inferenceTemplates, fc.context(), async ({ route, template }, context) => {
          const text = JSON.stringify(template);
          const answer = await post(route, text);
          context.log(`${text} → ${answer.status} ${answer.body.slice(0, 300)}`);
          expectWellFormed(route.path, answer, { stream: asksStream(text) });
          expect(answer.status).toBe(200);
        }),
        runs(100),
      );
    },
    timeoutFor(20_000),
  );
});

// ---- Headers and query strings ---------------------------------------------------------------------

const HEADER_NAMES = [
  "x-switchyard-debug",
  "x-switchyard-stream-resume",
  "x-switchyard-node",
  "x-switchyard-route",
  "x-session-id",
  "x-api-key",
  "authorization",
  "x-request-id",
  "accept",
  "user-agent",
  "anthropic-version",
  "anthropic-beta",
  "openai-organization",
  "openai-project",
  "traceparent",
  "tracestate",
  "accept-encoding",
] as const;

const headerNameArb = fc.oneof(
  fc.constantFrom(...HEADER_NAMES),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((suffix) => `x-switchyard-${suffix}`),
);

const headersArb = fc.dictionary(headerNameArb, headerValueArb, { maxKeys: 6 });

/** Percent-encodes any string (lone surrogates become U+FFFD first, as a client's encoder would). */
function encode(text: string): string {
  return encodeURIComponent(Buffer.from(text, "utf8").toString("utf8"));
}

const nodeValueArb = (known: readonly string[]) =>
  fc.oneof(fc.constantFrom(...known, "", "127.0.0.1:1", "OA", "oa ", "__proto__", "constructor"), anyString);

const queryArb = (known: readonly string[] = []) =>
  fc
    .array(
      fc.oneof(
        nodeValueArb(known).map((node) => `node=${encode(node)}`),
        fc.tuple(anyString, anyString).map(([key, value]) => `${encode(key)}=${encode(value)}`),
        fc.constantFrom("node", "node=", "=", "&", "node[]=oa", "node[a]=b", "model=auto", "%", "a=%zz"),
      ),
      { maxLength: 4 },
    )
    .map((parts) => (parts.length === 0 ? "" : `?${parts.join("&")}`));

describe("headers and query strings", () => {
  it(
    "random x-switchyard-* and forwarded headers, ?node= values and query strings never break a request",
    async () => {
      const inferenceRoutes = POST_ROUTES.filter((route) => route.target === "inference");
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...inferenceRoutes).chain((route) =>
            fc.record({
              route: fc.constant(route),
              text: fc.oneof(
                { weight: 3, arbitrary: route.templates.map((template) => JSON.stringify(template)) },
                { weight: 1, arbitrary: route.shaped },
              ),
            }),
          ),
          headersArb,
          queryArb(nodeNames(gateways.inference)),
          async ({ route, text }, headers, query) => {
            const answer = await post(route, text, { "content-type": "application/json", ...headers }, query);
            expectWellFormed(`${route.path}${query}`, answer, { stream: asksStream(text) });
          },
        ),
        runs(200),
      );
    },
    timeoutFor(20_000),
  );

  it(
    "admin routes with a token: any Authorization header is either accepted or a 401 in OpenAI's format",
    async () => {
      const adminRoutes = POST_ROUTES.filter((route) => route.target === "admin");
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...adminRoutes),
          fc.oneof(
            headerValueArb,
            headerValueArb.map((value) => `Bearer ${value}`),
            fc.constantFrom(
              `Bearer ${ADMIN_TOKEN}`,
              `bearer ${ADMIN_TOKEN}`,
              ADMIN_TOKEN,
              `Bearer ${ADMIN_TOKEN} `,
            ),
          ),
          fc.boolean(),
          async (route, authorization, withBody) => {
            const options: InjectOptions = {
              method: "POST",
              url: route.path,
              headers: { authorization, "content-type": "application/json" },
              ...(withBody ? { payload: JSON.stringify({ name: "nope" }) } : {}),
            };
            const answer = await send(gateways.locked, options);
            expectWellFormed(route.path, answer);
            if (authorization !== `Bearer ${ADMIN_TOKEN}`) expect(answer.status).toBe(401);
          },
        ),
        runs(100),
      );
    },
    timeoutFor(20_000),
  );
});

// ---- Paths and methods -----------------------------------------------------------------------------

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
  "SEARCH",
  "COPY",
  "MOVE",
  "LOCK",
] as const;

const SEGMENTS = [
  "",
  "v1",
  "chat",
  "completions",
  "messages",
  "models",
  "embeddings",
  "health",
  "all",
  "backends",
  "register",
  "unregister",
  "drain",
  "resume",
  "admin",
  "reload",
  "status",
  "metrics",
  "nodes",
  "eligible_nodes",
  "stats",
  "a1",
  "mock-model",
  "..",
  ".",
  "%2e%2e",
  "%2F",
  "%00",
  "*",
  ":name",
] as const;

const KNOWN_PATHS = [
  "/",
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/v1/models",
  "/v1/models/mock-model",
  "/models",
  "/health",
  "/health/all",
  "/health/mock-model",
  "/status",
  "/metrics",
  "/stats",
  "/v1/nodes",
  "/v1/eligible_nodes",
  "/backends",
  "/backends/register",
  "/backends/unregister",
  "/backends/a1/drain",
  "/backends/a1/resume",
  "/backends/nope",
  "/admin/reload",
  "/admin/keys/key_nope",
  "/admin/keys/key_nope/rotate",
] as const;

const pathArb = fc.oneof(
  fc.constantFrom(...KNOWN_PATHS),
  fc
    .array(fc.oneof(fc.constantFrom(...SEGMENTS), anyString.map(encode)), { minLength: 1, maxLength: 6 })
    .map((segments) => `/${segments.join("/")}`),
  fc
    .tuple(fc.constantFrom(...KNOWN_PATHS), fc.constantFrom("/", "//", "/x", "x", "%20", ";a=b", "/."))
    .map(([path, tail]) => `${path}${tail}`),
  fc.constantFrom(`/${"a".repeat(20_000)}`, "//", "///v1//models", "/v1/models/%F0%9F%A6%84"),
);

describe("paths and methods", () => {
  it(
    "random paths, methods, query strings and bodies: 404/405/4xx in the right format, never a 500",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          pathArb,
          queryArb(),
          fc.option(jsonText([], 2), { nil: undefined }),
          headersArb,
          async (method, path, query, body, headers) => {
            const options: InjectOptions = {
              method,
              url: `${path}${query}`,
              headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
              ...(body === undefined || method === "GET" || method === "HEAD" ? {} : { payload: body }),
            };
            const answer = await send(gateways.admin, options);
            expectWellFormed(`${path}${query}`, answer, {
              head: method === "HEAD",
              // /health answers 503 when no backend is healthy: a status, not a failure.
              upstreamStatuses: [503],
            });
          },
        ),
        runs(300),
      );
    },
    timeoutFor(20_000),
  );

  it("unknown routes are 404 and known routes with the wrong method 405", async () => {
    const unknown = await send(gateways.admin, { method: "GET", url: "/v1/nothing-here" });
    expectWellFormed("/v1/nothing-here", unknown);
    expect(unknown.status).toBe(404);
    const wrongMethod = await send(gateways.admin, { method: "PUT", url: "/v1/chat/completions" });
    expectWellFormed("/v1/chat/completions", wrongMethod);
    expect(wrongMethod.status).toBe(405);
    const anthropic = await send(gateways.admin, { method: "GET", url: "/v1/messages" });
    expectWellFormed("/v1/messages", anthropic);
    expect(anthropic.status).toBe(405);
  });

  it("a URL over max_url_bytes is 414 in the route's format, whatever the route and method", async () => {
    const maxUrlBytes = gateways.inference.context.config.max_url_bytes;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS.filter((method) => method !== "HEAD")),
        pathArb,
        fc.integer({ min: 1, max: 2_048 }),
        async (method, path, extra) => {
          const url = `${path}?pad=${"x".repeat(maxUrlBytes + extra)}`;
          const answer = await send(gateways.inference, { method, url });
          expectWellFormed(url, answer);
          expect(answer.status, url.slice(0, 80)).toBe(414);
        },
      ),
      runs(30),
    );
  });
});

// ---- Bugs found (it.fails: flip to it() once fixed) ------------------------------------------------

describe("known bugs", () => {
  // BUG: a path with malformed percent-encoding (`%zz`, a cut UTF-8 sequence such as `%E0%A4%A`) is
  // answered by fastify's own bad-URL handler, not the gateway's error handler: the status is 400 but
  // the body is fastify's `{"error":"Bad Request","code":"FST_ERR_BAD_URL","message":…,"statusCode":400}`,
  // neither OpenAI's nor Anthropic's envelope. Fix: fastify's `frameworkErrors` option (routing errors
  // go to a handler that can call sendError). Input: GET /v1/models/%zz.
  it("malformed percent-encoding in the path gets an OpenAI error body (GET /v1/models/%zz)", async () => {
    const answer = await send(gateways.admin, { method: "GET", url: "/v1/models/%zz" });
    expectWellFormed("/v1/models/%zz", answer);
  });

  it("malformed percent-encoding anywhere in a path gets the route's error envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS.filter((method) => method !== "HEAD")),
        fc.constantFrom(...KNOWN_PATHS),
        fc.constantFrom("%zz", "%E0%A4%A", "%", "%C0", "%ED%A0%80"),
        async (method, path, bad) => {
          const url = `${path}${path.endsWith("/") ? "" : "/"}${bad}`;
          const answer = await send(gateways.admin, { method, url });
          expectWellFormed(url, answer);
        },
      ),
      runs(30, 60),
    );
  });

  // BUG: a `:name` path parameter longer than 100 characters (find-my-way's default maxParamLength)
  // is refused by fastify's router with 414 and fastify's own body
  // `{"error":"Bad Request","code":"FST_ERR_MAX_PARAM_LENGTH",…,"statusCode":414}`, not OpenAI's
  // envelope. Same fix as above (`frameworkErrors`). Input: POST /backends/<101 × "a">/drain.
  it("a backend name over 100 characters in the path gets an OpenAI error body", async () => {
    const url = `/backends/${"a".repeat(101)}/drain`;
    const answer = await send(gateways.admin, { method: "POST", url });
    expectWellFormed(url, answer);
  });
});

describe("after the storm", () => {
  it("no lease is left held and the gateway still serves", async () => {
    for (const gateway of [gateways.inference, gateways.admin]) {
      for (const backend of gateway.context.registry.list()) expect(backend.inflight, backend.id).toBe(0);
    }
    const answer = await send(gateways.inference, {
      method: "POST",
      url: "/v1/chat/completions",
      payload: { model: MODELS.openai, messages: [{ role: "user", content: "still there?" }] },
    });
    expect(answer.status).toBe(200);
  });
});
