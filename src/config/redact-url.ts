/**
 * A URL with its user and password masked, for logs and reports that may be pasted anywhere. Text
 * that is not a URL comes back as it is: it holds no credentials a parser could find.
 * @module
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = parsed.username ? "***" : "";
    parsed.password = parsed.password ? "***" : "";
    return parsed.toString();
  } catch {
    return url;
  }
}
