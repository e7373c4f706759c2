/**
 * A Responses API conversation as the gateway keeps it for `store: true`: each stored response holds
 * the whole input that produced it, so `previous_response_id` continues from one read, and an entry
 * never changes once written (branching from an earlier response sees only the turns before it).
 * The conversation a follow-up continues is the previous entry's input, then its output
 * (`conversationOf`), then the new request's own input items.
 * @module
 */
import { randomBytes } from "node:crypto";

export type ResponseItem = Record<string, unknown>;

/** The request's `input` as items: a string is one user message, as the API reads it. */
export function inputItems(input: unknown): ResponseItem[] {
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  if (!Array.isArray(input)) return [];
  return input.filter((item): item is ResponseItem => typeof item === "object" && item !== null);
}

const ID_PREFIXES: Readonly<Record<string, string>> = {
  message: "msg_",
  function_call: "fc_",
  function_call_output: "fco_",
  reasoning: "rs_",
};

/** Items as stored and listed (`input_items`): each with an id, the ones the client gave kept. */
export function withIds(items: readonly ResponseItem[], newSuffix = randomSuffix): ResponseItem[] {
  return items.map((item) => {
    if (typeof item.id === "string" && item.id !== "") return item;
    const type = typeof item.type === "string" ? item.type : "message";
    return { id: `${ID_PREFIXES[type] ?? "item_"}${newSuffix()}`, ...item, type };
  });
}

function randomSuffix(): string {
  return randomBytes(12).toString("hex");
}
