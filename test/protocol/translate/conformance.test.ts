import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import { Passthrough } from "../../../src/protocol/translate/passthrough.js";
import { ResponsesToAnthropic } from "../../../src/protocol/translate/responses-to-anthropic.js";
import { ResponsesToChat } from "../../../src/protocol/translate/responses-to-chat.js";
import { runTranslatorConformance } from "./conformance.js";
import { fixedOptions } from "./helpers.js";
import { responsesOptions } from "./responses-helpers.js";

runTranslatorConformance("anthropic-to-openai", () => new AnthropicToOpenAI(fixedOptions()));
runTranslatorConformance("openai-to-anthropic", () => new OpenAIToAnthropic(fixedOptions()));
runTranslatorConformance("passthrough (openai)", () => new Passthrough("openai", "/v1/chat/completions"));
runTranslatorConformance("passthrough (anthropic)", () => new Passthrough("anthropic", "/v1/messages"));
runTranslatorConformance("passthrough (responses)", () => new Passthrough("responses", "/v1/responses"));
runTranslatorConformance("responses-to-chat", () => new ResponsesToChat(responsesOptions()));
runTranslatorConformance(
  "responses-to-chat (hosted tools rejected)",
  () => new ResponsesToChat(responsesOptions({ hostedTools: "reject" })),
);
runTranslatorConformance("responses-to-anthropic", () => new ResponsesToAnthropic(responsesOptions()));
