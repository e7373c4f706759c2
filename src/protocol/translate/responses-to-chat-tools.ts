/**
 * Responses tools, `tool_choice` and `parallel_tool_calls` as Chat Completions tools.
 *
 * - `function` tools → chat function tools (name, description, parameters, strict).
 * - `namespace` groups (Codex sends its MCP servers' tools this way) are flattened: each function
 *   becomes one chat tool named by {@link flatToolName} (`<namespace>__<name>`), since chat has no
 *   groups. {@link ToolNames} maps the flat names back, so calls come out as `name` + `namespace`.
 * - `custom` tools (free-form input, e.g. Codex's `apply_patch`) become function tools taking one
 *   string, `input`, whose description carries the grammar (chat cannot enforce one); {@link ToolNames}
 *   remembers them so calls come out as `custom_tool_call` items with the decoded `input`. Inside a
 *   namespace they take the flat name like functions.
 * - Every other type (`web_search`, `file_search`, `code_interpreter`, `mcp`, `image_generation`,
 *   `computer_use_preview`, `local_shell`, `tool_search`…) needs OpenAI to run it: with
 *   `hostedTools: "drop"` it is left out and listed in `dropped`, with `"reject"` the request is
 *   refused naming `tools[i]`.
 * - `tool_choice`: `none`/`auto`/`required` as is; `{type:"function", name}` and
 *   `{type:"custom", name}` → chat's function choice; `allowed_tools` keeps only the listed functions and becomes its `mode`; a hosted tool's
 *   choice is refused. Without any tool left, `tool_choice` and `parallel_tool_calls` are not sent.
 * @module
 */
import { createHash } from "node:crypto";
import type {
  ResponsesCreateRequest,
  ResponsesCustomTool,
  ResponsesFunctionTool,
  ResponsesNamespaceTool,
  ResponsesTool,
} from "../responses/types.js";
import { isJsonObject, textOf } from "./json.js";
import type { OpenAIFunctionTool, OpenAIToolChoice } from "./openai-types.js";
import { Untranslatable } from "./untranslatable.js";

/** What to do with tools a chat backend cannot run. */
export type HostedToolPolicy = "drop" | "reject";

/** Joins a namespace and a function name in a flat tool name. */
export const NAMESPACE_SEPARATOR = "__";

const CHAT_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The chat tool name for function `name` of `namespace`: `<namespace>__<name>` when that is a valid
 * chat name ([a-zA-Z0-9_-], at most 64 characters); otherwise the same with other characters as `_`,
 * cut short, and an 8-hex-digit hash of the pair, so that distinct pairs keep distinct names. The
 * same pair always gives the same name, so calls sent back in `input` find their tool.
 */
export function flatToolName(namespace: string, name: string): string {
  const joined = `${namespace}${NAMESPACE_SEPARATOR}${name}`;
  if (CHAT_TOOL_NAME.test(joined)) return joined;
  const hash = createHash("sha256").update(`${namespace}\u0000${name}`).digest("hex").slice(0, 8);
  return `${joined.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64 - 9)}_${hash}`;
}

/** A function as the Responses API names it. */
export interface QualifiedName {
  readonly name: string;
  readonly namespace?: string;
  /** A `custom` tool: its calls are `custom_tool_call` items. */
  readonly custom?: boolean;
}

/** Flat chat tool names → the namespaced functions and custom tools they stand for. */
export class ToolNames {
  readonly #namespaced = new Map<string, QualifiedName>();

  add(flat: string, qualified: QualifiedName): void {
    this.#namespaced.set(flat, qualified);
  }

  has(flat: string): boolean {
    return this.#namespaced.has(flat);
  }

  /** The Responses name of a chat tool call's name (itself when it is a plain function). */
  resolve(flat: string): QualifiedName {
    return this.#namespaced.get(flat) ?? { name: flat };
  }
}

/** The chat tool fields of a request, and what the response side needs to remember. */
export interface ToolPlan {
  readonly tools?: OpenAIFunctionTool[];
  readonly tool_choice?: OpenAIToolChoice;
  readonly parallel_tool_calls?: boolean;
  readonly names: ToolNames;
  /** The tools left out, as `type` or `type:name`, in request order. */
  readonly dropped: string[];
  /** The tools the response echoes: those carried, in the Responses shape. */
  readonly echo: ResponsesTool[];
}

/** Builds the chat tool fields; throws {@link Untranslatable} for what cannot be carried. */
export function chatTools(request: ResponsesCreateRequest, policy: HostedToolPolicy): ToolPlan {
  const names = new ToolNames();
  const dropped: string[] = [];
  const echo: ResponsesTool[] = [];
  const tools: OpenAIFunctionTool[] = [];
  const seen = new Set<string>();
  const add = (tool: OpenAIFunctionTool, path: string) => {
    if (seen.has(tool.function.name)) {
      throw new Untranslatable(`Two tools are both named "${tool.function.name}" for the backend.`, path);
    }
    seen.add(tool.function.name);
    tools.push(tool);
  };
  const list = request.tools ?? [];
  if (!Array.isArray(list)) throw new Untranslatable("tools must be an array.", "tools");
  list.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (isJsonObject(tool) && tool.type === "function") {
      const fn = chatFunction(tool as ResponsesFunctionTool, path);
      add(fn, path);
      echo.push(echoFunction(tool as ResponsesFunctionTool));
    } else if (isJsonObject(tool) && tool.type === "custom") {
      const custom = tool as ResponsesCustomTool;
      add(chatCustom(custom, path), path);
      names.add(custom.name, { name: custom.name, custom: true });
      echo.push(echoCustom(custom));
    } else if (isJsonObject(tool) && tool.type === "namespace") {
      const group = namespaceTools(tool as ResponsesNamespaceTool, path, policy, dropped);
      for (const { flat, fn, qualified } of group.functions) {
        add(fn, path);
        names.add(flat, qualified);
      }
      if (group.echo.tools.length > 0) echo.push(group.echo);
    } else dropped.push(hostedTool(tool, path, policy));
  });
  const allowed = allowedTools(request.tool_choice);
  const offered = allowed === undefined ? tools : tools.filter((tool) => allowed.has(tool.function.name));
  const plan: ToolPlan = { names, dropped, echo };
  const choice = toolChoice(request.tool_choice);
  if (offered.length === 0) {
    if (requiresTool(request.tool_choice)) {
      throw new Untranslatable("tool_choice requires a tool, but no function tool is left.", "tool_choice");
    }
    return plan;
  }
  return {
    ...plan,
    tools: offered,
    ...(choice === undefined ? {} : { tool_choice: choice }),
    ...(typeof request.parallel_tool_calls === "boolean"
      ? { parallel_tool_calls: request.parallel_tool_calls }
      : {}),
  };
}

function chatFunction(tool: ResponsesFunctionTool, path: string, name = tool.name): OpenAIFunctionTool {
  if (typeof tool.name !== "string" || tool.name === "") {
    throw new Untranslatable("A function tool needs a name.", `${path}.name`);
  }
  const fn: OpenAIFunctionTool["function"] = { name };
  if (typeof tool.description === "string") fn.description = tool.description;
  if (isJsonObject(tool.parameters)) fn.parameters = tool.parameters;
  if (typeof tool.strict === "boolean") fn.strict = tool.strict;
  return { type: "function", function: fn };
}

/** The tool as the `Response` echoes it: the fields the spec requires, nothing the bridge ignored. */
function echoFunction(tool: ResponsesFunctionTool): ResponsesFunctionTool {
  return {
    type: "function",
    name: tool.name,
    description: typeof tool.description === "string" ? tool.description : null,
    parameters: isJsonObject(tool.parameters) ? tool.parameters : null,
    strict: typeof tool.strict === "boolean" ? tool.strict : null,
  };
}

/** A custom tool as a function of one string, `input`; the grammar, if any, is only described. */
function chatCustom(tool: ResponsesCustomTool, path: string, name = tool.name): OpenAIFunctionTool {
  if (typeof tool.name !== "string" || tool.name === "") {
    throw new Untranslatable("A custom tool needs a name.", `${path}.name`);
  }
  const format: unknown = tool.format;
  const grammar =
    isJsonObject(format) && format.type === "grammar" && typeof format.definition === "string"
      ? `Text matching this ${textOf(format.syntax) || "grammar"} grammar:\n${format.definition}`
      : "free-form text";
  const intro =
    typeof tool.description === "string" && tool.description !== "" ? `${tool.description}\n\n` : "";
  return {
    type: "function",
    function: {
      name,
      description: `${intro}Put the whole input, as raw text, in the string argument \`input\`.`,
      parameters: {
        type: "object",
        properties: { input: { type: "string", description: grammar } },
        required: ["input"],
      },
    },
  };
}

function echoCustom(tool: ResponsesCustomTool): ResponsesCustomTool {
  const echo: ResponsesCustomTool = { type: "custom", name: tool.name };
  if (typeof tool.description === "string") echo.description = tool.description;
  if (isJsonObject(tool.format)) echo.format = tool.format;
  return echo;
}

interface NamespacedFunction {
  readonly flat: string;
  readonly fn: OpenAIFunctionTool;
  readonly qualified: QualifiedName;
}

function namespaceTools(
  group: ResponsesNamespaceTool,
  path: string,
  policy: HostedToolPolicy,
  dropped: string[],
): { functions: NamespacedFunction[]; echo: ResponsesNamespaceTool } {
  if (typeof group.name !== "string" || group.name === "") {
    throw new Untranslatable("A namespace tool needs a name.", `${path}.name`);
  }
  if (!Array.isArray(group.tools)) throw new Untranslatable("tools must be an array.", `${path}.tools`);
  const functions: NamespacedFunction[] = [];
  const echoed: Array<ResponsesFunctionTool | ResponsesCustomTool> = [];
  group.tools.forEach((tool, j) => {
    const inner = `${path}.tools[${j}]`;
    if (isJsonObject(tool) && tool.type === "custom") {
      const custom = tool as ResponsesCustomTool;
      const flat = flatToolName(group.name, textOf(custom.name));
      functions.push({
        flat,
        fn: chatCustom(custom, inner, flat),
        qualified: { name: custom.name, namespace: group.name, custom: true },
      });
      echoed.push(echoCustom(custom));
      return;
    }
    if (!isJsonObject(tool) || tool.type !== "function") {
      dropped.push(hostedTool(tool, inner, policy, group.name));
      return;
    }
    const fn = tool as ResponsesFunctionTool;
    const flat = flatToolName(group.name, textOf(fn.name));
    functions.push({
      flat,
      fn: chatFunction(fn, inner, flat),
      qualified: { name: fn.name, namespace: group.name },
    });
    echoed.push(echoFunction(fn));
  });
  const description = typeof group.description === "string" ? group.description : "";
  return { functions, echo: { type: "namespace", name: group.name, description, tools: echoed } };
}

/** Drops or refuses a tool the backend cannot run; returns how `dropped` names it. */
function hostedTool(tool: unknown, path: string, policy: HostedToolPolicy, namespace?: string): string {
  const type = isJsonObject(tool) && typeof tool.type === "string" ? tool.type : textOf(tool);
  if (policy === "reject" || !isJsonObject(tool) || typeof tool.type !== "string") {
    throw new Untranslatable(
      `Tools of type "${type}" cannot run on this backend: only function and custom tools reach a chat model.`,
      path,
    );
  }
  const name = typeof tool.name === "string" ? tool.name : tool.server_label;
  const qualified =
    typeof name === "string" ? `${namespace === undefined ? "" : `${namespace}.`}${name}` : "";
  return qualified === "" ? type : `${type}:${qualified}`;
}

/** The flat names an `allowed_tools` choice keeps; `undefined` for any other choice. */
function allowedTools(choice: unknown): Set<string> | undefined {
  if (!isJsonObject(choice) || choice.type !== "allowed_tools") return undefined;
  const entries: unknown[] = Array.isArray(choice.tools) ? choice.tools : [];
  const names = entries.flatMap((entry): string[] => {
    if (!isJsonObject(entry) || typeof entry.name !== "string") return [];
    if (entry.type !== "function" && entry.type !== "custom") return [];
    return [typeof entry.namespace === "string" ? flatToolName(entry.namespace, entry.name) : entry.name];
  });
  return new Set(names);
}

function requiresTool(choice: unknown): boolean {
  if (choice === "required") return true;
  return (
    isJsonObject(choice) &&
    (choice.type === "function" || choice.type === "custom" || choice.mode === "required")
  );
}

function toolChoice(choice: ResponsesCreateRequest["tool_choice"]): OpenAIToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none" || choice === "auto" || choice === "required") return choice;
  const named = isJsonObject(choice) && (choice.type === "function" || choice.type === "custom");
  if (named && typeof choice.name === "string") {
    const namespace: unknown = (choice as Record<string, unknown>).namespace;
    const name = typeof namespace === "string" ? flatToolName(namespace, choice.name) : choice.name;
    return { type: "function", function: { name } };
  }
  if (isJsonObject(choice) && choice.type === "allowed_tools") {
    return choice.mode === "required" ? "required" : "auto";
  }
  throw new Untranslatable(
    "tool_choice must be none, auto, required, a function, a custom tool or allowed_tools: hosted tools cannot be forced here.",
    "tool_choice",
  );
}
