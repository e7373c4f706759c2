/**
 * `--prompts FILE.jsonl`: one prompt per line, as a JSON string, `{"prompt": "…"}` or
 * `{"messages": [{"role", "content"}…]}`, each optionally with `max_tokens` (or `output_tokens`) to
 * fix that prompt's output length. Blank lines are skipped; a bad line is an error naming its number.
 * @module
 */
import { readFile } from "node:fs/promises";
import type { ChatMessage } from "./request-body.js";
import { countField, field } from "./token-events.js";

export interface PromptEntry {
  messages: ChatMessage[];
  /** The output length this prompt asks for, if its line says. */
  maxTokens?: number;
}

function messagesOf(value: unknown, line: number): ChatMessage[] {
  if (typeof value === "string") return [{ role: "user", content: value }];
  const prompt = field(value, "prompt");
  if (typeof prompt === "string") return [{ role: "user", content: prompt }];
  const messages = field(value, "messages");
  if (Array.isArray(messages) && messages.length > 0) {
    return messages.map((message, position) => {
      const role = field(message, "role");
      const content = field(message, "content");
      if (typeof role !== "string" || typeof content !== "string")
        throw new Error(`prompts line ${line}: messages[${position}] needs a string role and content`);
      return { role, content };
    });
  }
  throw new Error(`prompts line ${line}: expected a string, {"prompt": …} or {"messages": […]}`);
}

/** Parses the text of a JSONL prompt file. */
export function parsePrompts(text: string): PromptEntry[] {
  const entries: PromptEntry[] = [];
  text.split(/\r?\n/).forEach((raw, position) => {
    const line = raw.trim();
    if (line.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`prompts line ${position + 1}: not JSON (${(error as Error).message})`);
    }
    const maxTokens = countField(value, "max_tokens") ?? countField(value, "output_tokens");
    const entry: PromptEntry = { messages: messagesOf(value, position + 1) };
    if (maxTokens !== undefined && maxTokens > 0) entry.maxTokens = maxTokens;
    entries.push(entry);
  });
  if (entries.length === 0) throw new Error("the prompts file holds no prompts");
  return entries;
}

/** Reads and parses a JSONL prompt file. */
export async function loadPrompts(path: string): Promise<PromptEntry[]> {
  return parsePrompts(await readFile(path, "utf8"));
}
