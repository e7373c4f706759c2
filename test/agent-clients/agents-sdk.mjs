// The OpenAI Agents SDK, unmodified, against the gateway: one agent with one function tool. The API it
// speaks is the SDK's default (Responses) unless AGENTS_API names another ("chat_completions").
// Prints one JSON line: the final output and the items the run produced.
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";

setTracingDisabled(true);
setDefaultOpenAIClient(new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, maxRetries: 0 }));
if (process.env.AGENTS_API) setOpenAIAPI(process.env.AGENTS_API);

const toolCalls = [];
const getWeather = tool({
  name: "get_weather",
  description: "The weather in a city.",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    toolCalls.push({ city });
    return `sunny in ${city}`;
  },
});

const agent = new Agent({
  name: "weather",
  instructions: "Answer questions about the weather.",
  model: process.env.MODEL,
  tools: [getWeather],
});

const result = await run(agent, process.env.PROMPT ?? "Use get_weather to find the weather in Paris.");
console.log(
  JSON.stringify({
    finalOutput: result.finalOutput,
    toolCalls,
    items: result.newItems.map((item) => item.type),
  }),
);
