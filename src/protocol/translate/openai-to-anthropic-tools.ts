/**
 * OpenAI tools, `tool_choice`, `parallel_tool_calls` and `response_format` as Anthropic tools and
 * `tool_choice`.
 *
 * `response_format` json_object/json_schema has no Anthropic field that every model accepts, so it
 * becomes a tool ({@link JSON_TOOL_NAME}) whose input schema is the requested schema, with a
 * `tool_choice` that makes the model call it: forced when it is the only tool; `any` next to client
 * tools (the model calls one of theirs or answers); `auto` with thinking on, since Anthropic refuses
 * forced tools then (the tool's description asks for it). A client `tool_choice: "none"` removes the
 * client's tools and leaves only this one. The call's input comes back to the client as content.
 * @module
 */
import type { AnthropicTool, AnthropicToolChoice } from "../anthropic/types.js";
import { isJsonObject } from "./json.js";
import type { OpenAIChatRequest, OpenAIFunctionTool, OpenAIToolChoice } from "./openai-types.js";
import { Untranslatable } from "./untranslatable.js";

/** The tool that carries `response_format`. */
export const JSON_TOOL_NAME = "json_response";

/** The Anthropic tool fields of a request, and the tool standing for `response_format`. */
export interface ToolPlan {
  readonly tools?: AnthropicTool[];
  readonly tool_choice?: AnthropicToolChoice;
  /** The name of the tool standing for `response_format`, whose input is the client's content. */
  readonly jsonTool: string | undefined;
}

/**
 * The Anthropic tool fields for a request. `tool_choice` is only set with tools, because Anthropic
 * refuses it alone; `parallel_tool_calls: false` becomes `disable_parallel_tool_use`.
 * @param thinking whether the request enables thinking (which rules out forced tools)
 */
export function anthropicTools(request: OpenAIChatRequest, thinking: boolean): ToolPlan {
  let tools = Array.isArray(request.tools) ? request.tools.map(anthropicTool) : [];
  let choice =
    tools.length > 0 && request.tool_choice !== undefined
      ? anthropicToolChoice(request.tool_choice)
      : undefined;
  const jsonTool = jsonFormatTool(request.response_format);
  if (jsonTool !== undefined) {
    if (tools.some((tool) => tool.name === JSON_TOOL_NAME)) {
      throw new Untranslatable(
        `A tool named "${JSON_TOOL_NAME}" clashes with the one for response_format.`,
        "tools",
      );
    }
    if (choice?.type === "none") {
      tools = [];
      choice = undefined;
    }
    if (choice?.type !== "tool") {
      if (thinking) choice = { type: "auto" };
      else choice = tools.length > 0 ? { type: "any" } : { type: "tool", name: JSON_TOOL_NAME };
    }
    tools.push(jsonTool);
  }
  if (tools.length === 0) return { jsonTool: undefined };
  if (request.parallel_tool_calls === false) {
    choice ??= { type: "auto" };
    if (choice.type !== "none") choice = { ...choice, disable_parallel_tool_use: true };
  }
  return choice === undefined
    ? { tools, jsonTool: jsonTool?.name }
    : { tools, tool_choice: choice, jsonTool: jsonTool?.name };
}

function anthropicTool(tool: OpenAIFunctionTool, i: number): AnthropicTool {
  if (tool?.type !== "function" || !isJsonObject(tool.function)) {
    throw new Untranslatable("Only function tools are translated to Anthropic.", `tools.${i}`);
  }
  const { name, description, parameters } = tool.function;
  const out: AnthropicTool = {
    name,
    input_schema: isJsonObject(parameters) ? parameters : { type: "object" },
  };
  if (typeof description === "string") out.description = description;
  return out;
}

function anthropicToolChoice(choice: OpenAIToolChoice): AnthropicToolChoice {
  if (choice === "none" || choice === "auto") return { type: choice };
  if (choice === "required") return { type: "any" };
  if (isJsonObject(choice) && choice.type === "function" && typeof choice.function?.name === "string") {
    return { type: "tool", name: choice.function.name };
  }
  throw new Untranslatable("tool_choice must be none, auto, required or a function.", "tool_choice");
}

/** The tool standing for `response_format`, or `undefined` for plain text. */
function jsonFormatTool(format: OpenAIChatRequest["response_format"]): AnthropicTool | undefined {
  const always = "Always give your final answer by calling this tool; its input is the answer.";
  if (format?.type === "json_object") {
    return {
      name: JSON_TOOL_NAME,
      description: `${always} The answer is a JSON object.`,
      input_schema: { type: "object" },
    };
  }
  if (format?.type !== "json_schema") return undefined;
  const spec = format.json_schema;
  const about = typeof spec?.description === "string" ? ` ${spec.description}` : "";
  const schema = isJsonObject(spec?.schema) ? spec.schema : { type: "object" };
  return { name: JSON_TOOL_NAME, description: `${always}${about}`, input_schema: schema };
}
