// The Vercel AI SDK, unmodified, against the gateway: generateText with the OpenAI provider's default
// model (which speaks the Responses API), or its chat model when AI_SDK_API is "chat".
// Prints one JSON line: the text, the finish reason and the usage.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText } from "ai";

const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL });
const model = process.env.AI_SDK_API === "chat" ? openai.chat(process.env.MODEL) : openai(process.env.MODEL);
const result = await generateText({ model, prompt: process.env.PROMPT ?? "hello", maxRetries: 0 });
console.log(JSON.stringify({ text: result.text, finishReason: result.finishReason, usage: result.usage }));
