/**
 * Prompts of a chosen length without a prompt file: common English words, each one token in the
 * usual BPE vocabularies (and exactly one in the mock's whitespace tokenizer), drawn with the run's
 * seeded random source so two runs with the same seed send the same prompts.
 * @module
 */

const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or one had " +
  "by word but not what all were we when your can said there use an each which she do how their if " +
  "will up other about out many then them these so some her would make like him into time has look " +
  "two more write go see number no way could people my than first water been call who oil its now " +
  "find long down day did get come made may part"
).split(" ");

/** A prompt of `tokens` words. */
export function syntheticPrompt(tokens: number, random: () => number): string {
  const words = new Array<string>(tokens);
  for (let i = 0; i < tokens; i++) words[i] = WORDS[Math.floor(random() * WORDS.length)] ?? "the";
  return words.join(" ");
}

export { seededRandom } from "../../random/seeded-random.js";
