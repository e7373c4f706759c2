import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chatRequestSchema,
  checkRequest,
  isPlainChatRequest,
} from "../../../src/protocol/openai/requests.js";
import { chatBody } from "../../property/requests.js";

describe("isPlainChatRequest", () => {
  it("never passes a body that the chat schema refuses, and checkRequest agrees with zod either way", () => {
    fc.assert(
      fc.property(chatBody, (text) => {
        const body = JSON.parse(text) as unknown;
        if (typeof body !== "object" || body === null || Array.isArray(body)) return;
        const zod = chatRequestSchema.safeParse(body);
        if (isPlainChatRequest(body as Record<string, unknown>)) expect(zod.success).toBe(true);
        const check = checkRequest(chatRequestSchema, body);
        expect(check.ok).toBe(zod.success);
        if (check.ok && zod.success) {
          const data = zod.data as { model: string; stream?: boolean; user?: string };
          expect(check.fields).toMatchObject({
            model: data.model,
            stream: data.stream === true,
            user: data.user,
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it("passes an ordinary request and leaves an odd one to zod", () => {
    const ok = { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 16, stream: false };
    expect(isPlainChatRequest(ok)).toBe(true);
    expect(isPlainChatRequest({ ...ok, temperature: -1 })).toBe(false);
    expect(isPlainChatRequest({ ...ok, n: 0 })).toBe(false);
    expect(isPlainChatRequest({ ...ok, messages: [{ role: "" }] })).toBe(false);
    expect(isPlainChatRequest({ ...ok, max_tokens: 1.5 })).toBe(false);
  });
});
