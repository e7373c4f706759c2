import { AnthropicToOpenAI } from "../../../src/protocol/translate/anthropic-to-openai.js";
import { OpenAIToAnthropic } from "../../../src/protocol/translate/openai-to-anthropic.js";
import { Passthrough } from "../../../src/protocol/translate/passthrough.js";
import { runTranslatorConformance } from "./conformance.js";
import { fixedOptions } from "./helpers.js";

runTranslatorConformance("anthropic-to-openai", () => new AnthropicToOpenAI(fixedOptions()));
runTranslatorConformance("openai-to-anthropic", () => new OpenAIToAnthropic(fixedOptions()));
runTranslatorConformance("passthrough (openai)", () => new Passthrough("openai", "/v1/chat/completions"));
runTranslatorConformance("passthrough (anthropic)", () => new Passthrough("anthropic", "/v1/messages"));
