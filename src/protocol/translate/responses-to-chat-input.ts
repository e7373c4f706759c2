/**
 * A Responses request's `instructions` and `input` as Chat Completions messages.
 *
 * - `instructions` and the `system`/`developer` messages before the first other item become one
 *   leading system message (many chat templates accept a system message only in first place);
 *   later ones stay where they are as `system` messages, the role every chat backend knows.
 * - user content: `input_text` → text parts, `input_image` with `image_url` → image parts; an image
 *   by `file_id` and `input_file` parts need OpenAI's file store and are refused.
 * - assistant content (`output_text`, `refusal`) → the message's text; `function_call` items → its
 *   `tool_calls` (consecutive calls, and calls right after the assistant's text, form one message;
 *   a namespaced call gets its flat name, see `responses-to-chat-tools.ts`); a `custom_tool_call`
 *   is a call with arguments `{"input": <its input>}`, the shape its function tool declares.
 * - `function_call_output` and `custom_tool_call_output` → a `tool` message (text parts joined by newlines); images in an output
 *   move to a user message after the tool messages, since tool messages hold only text.
 * - `reasoning` items → reasoning on the next assistant message: the sealed blob when it opens
 *   (text and Anthropic's signed thinking blocks, restored exactly), else its `reasoning_text`.
 *   Reasoning with no assistant message after it is dropped: no backend reads it there.
 * - `item_reference` and item types the bridge never writes (hosted tools' calls…) are refused.
 * @module
 */
import type { AnthropicReasoningBlock } from "../anthropic/types.js";
import type { ReasoningSealer } from "../responses/sealed-reasoning.js";
import type { ResponsesCreateRequest } from "../responses/types.js";
import { isJsonObject, textOf } from "./json.js";
import type {
  OpenAIAssistantMessage,
  OpenAIImagePart,
  OpenAIMessage,
  OpenAITextPart,
  OpenAIToolCall,
  OpenAIUserPart,
} from "./openai-types.js";
import { flatToolName } from "./responses-to-chat-tools.js";
import { reasoningFields } from "./thinking-blocks.js";
import { Untranslatable } from "./untranslatable.js";

type Item = Record<string, unknown>;

/** The chat messages for a request's `instructions` and `input`. */
export function chatMessages(request: ResponsesCreateRequest, sealer?: ReasoningSealer): OpenAIMessage[] {
  const builder = new MessageBuilder(sealer);
  if (typeof request.instructions === "string" && request.instructions !== "") {
    builder.system([{ type: "text", text: request.instructions }]);
  }
  const input = request.input;
  if (typeof input === "string") builder.user(input);
  else if (Array.isArray(input)) {
    input.forEach((item, i) => {
      builder.item(item, `input[${i}]`);
    });
  } else throw new Untranslatable("input must be a string or an array of items.", "input");
  return builder.finish();
}

/** Builds the message list item by item; the state is what the next item may merge into. */
class MessageBuilder {
  readonly #sealer: ReasoningSealer | undefined;
  readonly #messages: OpenAIMessage[] = [];
  /** Reasoning of each assistant message, applied as fields at the end. */
  readonly #reasoning = new Map<OpenAIAssistantMessage, AnthropicReasoningBlock[]>();
  #pendingReasoning: AnthropicReasoningBlock[] = [];
  #pendingImages: OpenAIImagePart[] = [];
  /** Only system messages so far: another one joins the first. */
  #leading = true;

  constructor(sealer: ReasoningSealer | undefined) {
    this.#sealer = sealer;
  }

  item(item: unknown, path: string): void {
    if (!isJsonObject(item)) throw new Untranslatable("Each input item must be an object.", path);
    const type =
      item.type ??
      (item.role !== undefined ? "message" : item.id !== undefined ? "item_reference" : undefined);
    if (type !== "function_call_output" && type !== "custom_tool_call_output") this.#flushImages();
    switch (type) {
      case "message":
        this.#message(item, path);
        return;
      case "function_call":
        this.#functionCall(item, path);
        return;
      case "custom_tool_call":
        if (typeof item.input !== "string") {
          throw new Untranslatable("A custom_tool_call needs its input as a string.", `${path}.input`);
        }
        this.#functionCall(item, path, JSON.stringify({ input: item.input }));
        return;
      case "function_call_output":
      case "custom_tool_call_output":
        this.#functionOutput(item, path);
        return;
      case "reasoning":
        this.#addReasoning(this.#reasoningOf(item));
        return;
      case "item_reference":
        throw new Untranslatable(
          "Item references cannot be resolved for this backend: send the item itself.",
          path,
        );
      default:
        throw new Untranslatable(
          `Input items of type "${textOf(type)}" cannot be sent to this backend.`,
          `${path}.type`,
        );
    }
  }

  system(parts: OpenAITextPart[]): void {
    if (parts.length === 0) return;
    const first = this.#messages[0];
    if (this.#leading && first?.role === "system") {
      const content =
        typeof first.content === "string" ? [{ type: "text" as const, text: first.content }] : first.content;
      first.content = [...content, ...parts];
      return;
    }
    const only = parts.length === 1 ? parts[0] : undefined;
    this.#messages.push({ role: "system", content: only === undefined ? parts : only.text });
  }

  user(content: string | OpenAIUserPart[]): void {
    this.#push({ role: "user", content });
  }

  finish(): OpenAIMessage[] {
    this.#flushImages();
    for (const [message, blocks] of this.#reasoning) Object.assign(message, reasoningFields(blocks));
    const first = this.#messages[0];
    if (first?.role === "system" && Array.isArray(first.content) && first.content.length === 1) {
      first.content = first.content[0]!.text;
    }
    return this.#messages;
  }

  /** Any message but a system one ends the leading run; any but an assistant one orphans reasoning. */
  #push(message: OpenAIMessage): void {
    this.#leading = false;
    if (message.role !== "assistant") this.#pendingReasoning = [];
    this.#messages.push(message);
  }

  #message(item: Item, path: string): void {
    const { role, content } = item;
    if (role === "system" || role === "developer") this.system(textParts(content, path));
    else if (role === "user") this.user(userContent(content, path));
    else if (role === "assistant") this.#assistant(content, path);
    else throw new Untranslatable(`Unknown message role "${textOf(role)}".`, `${path}.role`);
  }

  #assistant(content: unknown, path: string): void {
    const message: OpenAIAssistantMessage = { role: "assistant", content: assistantText(content, path) };
    this.#push(message);
    this.#takeReasoning(message);
  }

  /** A function call, or a custom tool call when `customArgs` (its input as arguments) is given. */
  #functionCall(item: Item, path: string, customArgs?: string): void {
    const callId = item.call_id;
    const type = textOf(item.type);
    if (typeof callId !== "string" || callId === "") {
      throw new Untranslatable(`A ${type} needs a call_id.`, `${path}.call_id`);
    }
    if (typeof item.name !== "string" || item.name === "") {
      throw new Untranslatable(`A ${type} needs a name.`, `${path}.name`);
    }
    const name = typeof item.namespace === "string" ? flatToolName(item.namespace, item.name) : item.name;
    const args =
      customArgs ??
      (typeof item.arguments === "string" ? item.arguments : JSON.stringify(item.arguments ?? {}));
    const call: OpenAIToolCall = { id: callId, type: "function", function: { name, arguments: args } };
    const last = this.#messages.at(-1);
    if (last?.role === "assistant") {
      last.tool_calls = [...(last.tool_calls ?? []), call];
      this.#takeReasoning(last);
      return;
    }
    const message: OpenAIAssistantMessage = { role: "assistant", content: null, tool_calls: [call] };
    this.#push(message);
    this.#takeReasoning(message);
  }

  #functionOutput(item: Item, path: string): void {
    const callId = item.call_id;
    if (typeof callId !== "string" || callId === "") {
      throw new Untranslatable(`A ${textOf(item.type)} needs a call_id.`, `${path}.call_id`);
    }
    const output = item.output;
    let text: string;
    if (typeof output === "string") text = output;
    else if (Array.isArray(output)) {
      const texts: string[] = [];
      output.forEach((part, j) => {
        const at = `${path}.output[${j}]`;
        if (isJsonObject(part) && part.type === "input_image") this.#pendingImages.push(imagePart(part, at));
        else texts.push(textPart(part, at).text);
      });
      text = texts.join("\n");
    } else throw new Untranslatable("output must be a string or an array of parts.", `${path}.output`);
    this.#push({ role: "tool", tool_call_id: callId, content: text });
  }

  #flushImages(): void {
    if (this.#pendingImages.length === 0) return;
    const images = this.#pendingImages;
    this.#pendingImages = [];
    this.#push({ role: "user", content: images });
  }

  #reasoningOf(item: Item): AnthropicReasoningBlock[] {
    if (typeof item.encrypted_content === "string" && this.#sealer !== undefined) {
      const opened = this.#sealer.unseal(item.encrypted_content);
      if (opened?.thinkingBlocks !== undefined && opened.thinkingBlocks.length > 0) {
        return opened.thinkingBlocks.map((block) => ({ ...block }));
      }
      if (opened !== undefined) return unsigned(opened.text);
    }
    const parts: unknown[] = Array.isArray(item.content) ? item.content : [];
    const text = parts
      .map((part) => (isJsonObject(part) && typeof part.text === "string" ? part.text : ""))
      .join("");
    return unsigned(text);
  }

  #addReasoning(blocks: AnthropicReasoningBlock[]): void {
    for (const block of blocks) {
      const last = this.#pendingReasoning.at(-1);
      // Two plain texts in a row read as one: no signature or block boundary is lost.
      if (
        block.type === "thinking" &&
        block.signature === "" &&
        last?.type === "thinking" &&
        last.signature === ""
      ) {
        last.thinking += block.thinking;
      } else this.#pendingReasoning.push(block);
    }
  }

  #takeReasoning(message: OpenAIAssistantMessage): void {
    if (this.#pendingReasoning.length === 0) return;
    const blocks = this.#reasoning.get(message) ?? [];
    blocks.push(...this.#pendingReasoning);
    this.#reasoning.set(message, blocks);
    this.#pendingReasoning = [];
  }
}

function unsigned(text: string): AnthropicReasoningBlock[] {
  return text === "" ? [] : [{ type: "thinking", thinking: text, signature: "" }];
}

function textPart(part: unknown, path: string): OpenAITextPart {
  const type = isJsonObject(part) ? part.type : undefined;
  if (
    isJsonObject(part) &&
    (type === "input_text" || type === "output_text") &&
    typeof part.text === "string"
  ) {
    return { type: "text", text: part.text };
  }
  throw new Untranslatable(`Content parts of type "${textOf(type)}" cannot be sent here.`, `${path}.type`);
}

function parts(content: unknown, path: string): unknown[] {
  if (Array.isArray(content)) return content;
  throw new Untranslatable("content must be a string or an array of parts.", `${path}.content`);
}

function textParts(content: unknown, path: string): OpenAITextPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return parts(content, path).map((part, j) => textPart(part, `${path}.content[${j}]`));
}

function userContent(content: unknown, path: string): string | OpenAIUserPart[] {
  if (typeof content === "string") return content;
  return parts(content, path).map((part, j): OpenAIUserPart => {
    const at = `${path}.content[${j}]`;
    return isJsonObject(part) && part.type === "input_image" ? imagePart(part, at) : textPart(part, at);
  });
}

function imagePart(part: Item, path: string): OpenAIImagePart {
  if (typeof part.image_url === "string" && part.image_url !== "") {
    const image: OpenAIImagePart["image_url"] = { url: part.image_url };
    if (part.detail === "auto" || part.detail === "low" || part.detail === "high") image.detail = part.detail;
    return { type: "image_url", image_url: image };
  }
  if (typeof part.file_id === "string") {
    throw new Untranslatable(
      "Images by file_id need OpenAI's file store, which this backend lacks: send image_url instead.",
      `${path}.file_id`,
    );
  }
  throw new Untranslatable("An input_image needs an image_url.", `${path}.image_url`);
}

/** An assistant message's text: output text joined, a refusal kept as text. */
function assistantText(content: unknown, path: string): string {
  if (typeof content === "string") return content;
  return parts(content, path)
    .map((part, j) =>
      isJsonObject(part) && part.type === "refusal" && typeof part.refusal === "string"
        ? part.refusal
        : textPart(part, `${path}.content[${j}]`).text,
    )
    .join("");
}
