/**
 * Raised inside a translator when a request uses something the other protocol cannot express. It
 * never leaves the translator: `request()` turns it into a 400 refusal in the client's protocol.
 * @module
 */

export class Untranslatable extends Error {
  override readonly name = "Untranslatable";

  /**
   * @param message what cannot be translated and, where there is one, what to use instead
   * @param param the offending field's path (`messages.2.content.0`), for OpenAI's `param`
   */
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * What to tell the client about a request that failed to translate. Anything other than
 * {@link Untranslatable} means the body broke an assumption of the protocol's types (the gateway
 * validates only what routing needs), which is still the client's mistake, never a 500.
 */
export function describeRefusal(error: unknown): { message: string; param: string | null } {
  if (error instanceof Untranslatable) return { message: error.message, param: error.param };
  const reason = error instanceof Error ? error.message : String(error);
  return { message: `The request could not be translated: ${reason}`, param: null };
}
