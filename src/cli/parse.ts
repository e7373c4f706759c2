/**
 * Option parsers shared by the subcommands. Commander calls them with the raw flag text;
 * they throw InvalidArgumentError so the user sees which flag was wrong.
 * @module
 */
import { InvalidArgumentError } from "commander";

export function parseInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return value;
}

export function parsePort(text: string): number {
  const value = parseInteger(text);
  if (value < 0 || value > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${text}"`);
  return value;
}

export function parseNonNegative(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${text}"`);
  return value;
}

export function parseRate(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new InvalidArgumentError(`expected a rate from 0 to 1, got "${text}"`);
  return value;
}

export function parseList(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
