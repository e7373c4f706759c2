/** A configuration that cannot be used; its message names the bad field and where it came from. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
