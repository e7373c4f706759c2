/**
 * Finding reasoning markup (`<think>`, `<|channel|>`…) in text, for the whole-text parsers and the
 * streaming separators alike. Both scan left to right and take the earliest complete tag, so a text
 * split into chunks meets the same tags in the same order as the whole text.
 *
 * Every tag set used here starts each tag with `<` and holds no tag that is a prefix of another, so the
 * earliest match is unique and never depends on how the text was cut.
 * @module
 */

/** A fixed set of tags to look for, with the length of the longest one (bounds the hold-back). */
export interface TagSet {
  readonly tags: readonly string[];
  readonly maxLength: number;
}

/** A complete tag found in a text. */
export interface TagMatch {
  readonly index: number;
  readonly tag: string;
}

/** Builds a {@link TagSet}; every tag must start with `<`, which the scanners use as an anchor. */
export function tagSet(tags: readonly string[]): TagSet {
  for (const tag of tags) {
    if (!tag.startsWith("<")) throw new Error(`reasoning tag must start with '<': ${tag}`);
  }
  return { tags, maxLength: Math.max(0, ...tags.map((tag) => tag.length)) };
}

/** The earliest complete tag at or after `from`, or undefined when there is none. */
export function findTag(text: string, set: TagSet, from: number): TagMatch | undefined {
  let index = text.indexOf("<", from);
  while (index !== -1) {
    for (const tag of set.tags) {
      if (text.startsWith(tag, index)) return { index, tag };
    }
    index = text.indexOf("<", index + 1);
  }
  return undefined;
}

/**
 * How many characters at the end of `text` (not before `from`) could still be the start of a tag: the
 * longest such suffix, because a tag starting earlier would make an even longer suffix. Callers have
 * already consumed every complete tag, so no suffix here is a whole tag.
 */
export function partialTagLength(text: string, from: number, set: TagSet): number {
  const start = Math.max(from, text.length - set.maxLength + 1);
  for (let index = text.indexOf("<", start); index !== -1; index = text.indexOf("<", index + 1)) {
    const suffix = text.slice(index);
    if (set.tags.some((tag) => tag.length > suffix.length && tag.startsWith(suffix))) {
      return text.length - index;
    }
  }
  return 0;
}
