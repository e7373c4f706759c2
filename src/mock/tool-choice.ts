/**
 * Whether the mock answers a turn with a tool call, and which tool, for both APIs (the request parsers
 * turn OpenAI's and Anthropic's spellings into {@link OfferedTool} and {@link ToolChoice}). Pure.
 *
 * The rule, for a request that ends with a user turn (a tool result as the last turn always gets text):
 * - `tool_choice` "none": text.
 * - a named tool (`{type: "function", function: {name}}`, `{type: "tool", name}`): that tool.
 * - "required" / `{type: "any"}`: the tool the user's text names, else the first offered.
 * - "auto" (or absent) with one tool offered: that tool, as before.
 * - "auto" with several tools (agents send 10–30): a tool only when the user's text names one, as
 *   `use NAME` or `call NAME` (the name exactly as offered); otherwise text. Coding agents really run
 *   what the mock calls, so a call is never made on a guess.
 *
 * What follows the name steers the arguments: a JSON object (`use Read {"file_path": "/tmp/a"}`) is
 * taken as the arguments (over the generated ones); other text (`use Bash ls -l`) becomes the first
 * free string. Claude Code's `<system-reminder>` blocks are not read for names: they mention tools.
 * @module
 */

/** A tool the request offers: its name and its parameters' JSON Schema (whatever the client sent). */
export interface OfferedTool {
  readonly name: string;
  readonly schema: unknown;
}

export type ToolChoice =
  | { readonly kind: "auto" }
  | { readonly kind: "none" }
  | { readonly kind: "required" }
  | { readonly kind: "named"; readonly name: string };

/** The call to make: which tool, the text its first free string takes, and arguments the user gave. */
export interface ToolDecision {
  readonly name: string;
  readonly schema: unknown;
  readonly text: string;
  readonly given?: Readonly<Record<string, unknown>>;
}

interface Directive {
  readonly tool: OfferedTool;
  /** What followed the name, trimmed. */
  readonly rest: string;
}

const REMINDER_OPEN = "<system-reminder>";
const REMINDER_CLOSE = "</system-reminder>";
const DIRECTIVE = /\b(?:use|call)\s+(?:the\s+)?[`"'*]*([\w.:/-]+)/gi;

/** `text` without its `<system-reminder>` blocks (one pass: hostile text cannot make it quadratic). */
function withoutReminders(text: string): string {
  let visible = "";
  let from = 0;
  for (;;) {
    const open = text.indexOf(REMINDER_OPEN, from);
    const close = open < 0 ? -1 : text.indexOf(REMINDER_CLOSE, open);
    if (close < 0) return visible + text.slice(from);
    visible += `${text.slice(from, open)} `;
    from = close + REMINDER_CLOSE.length;
  }
}

/** The first `use NAME` / `call NAME` whose NAME is an offered tool. */
function findDirective(text: string, tools: readonly OfferedTool[]): Directive | undefined {
  const visible = withoutReminders(text);
  for (const match of visible.matchAll(DIRECTIVE)) {
    const word = match[1]!;
    // A sentence may end right after the name: "use get_weather."
    const tool = tools.find(
      (candidate) => candidate.name === word || candidate.name === word.replace(/[.:/-]+$/, ""),
    );
    if (tool === undefined) continue;
    const after = visible.slice(match.index + match[0].length).replace(/^[`"'*.:]*/, "");
    return { tool, rest: after.trim() };
  }
  return undefined;
}

/** The JSON object at the start of `text`, if it holds one. */
function givenArguments(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  // The object may be followed by more words: try the closing braces from the last one back (a few:
  // each try parses the text again).
  let tries = 0;
  for (let end = text.lastIndexOf("}"); end > 0 && tries++ < 16; end = text.lastIndexOf("}", end - 1)) {
    try {
      const value: unknown = JSON.parse(text.slice(0, end + 1));
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
      return undefined;
    } catch {
      // Not yet a whole object: a shorter prefix may be.
    }
  }
  return undefined;
}

function decide(tool: OfferedTool, userText: string, directive: Directive | undefined): ToolDecision {
  if (directive === undefined || directive.tool.name !== tool.name) {
    return { name: tool.name, schema: tool.schema, text: userText };
  }
  const given = givenArguments(directive.rest);
  if (given !== undefined) return { name: tool.name, schema: tool.schema, text: userText, given };
  return { name: tool.name, schema: tool.schema, text: directive.rest || userText };
}

/** The tool call to answer with, or undefined for a text answer. */
export function chooseTool(
  tools: readonly OfferedTool[],
  choice: ToolChoice,
  userText: string,
): ToolDecision | undefined {
  if (tools.length === 0 || choice.kind === "none") return undefined;
  const directive = findDirective(userText, tools);
  switch (choice.kind) {
    case "named": {
      const tool = tools.find((candidate) => candidate.name === choice.name);
      return decide(tool ?? { name: choice.name, schema: undefined }, userText, directive);
    }
    case "required":
      return decide(directive?.tool ?? tools[0]!, userText, directive);
    case "auto":
      if (tools.length === 1) return decide(tools[0]!, userText, directive);
      return directive === undefined ? undefined : decide(directive.tool, userText, directive);
  }
}
