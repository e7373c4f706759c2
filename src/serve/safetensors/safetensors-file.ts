/**
 * Reads a SafeTensors file's header: an 8-byte little-endian length, then that many bytes of JSON naming
 * each tensor's dtype, shape and byte range (relative to the end of the header). The data itself is
 * read later, tensor by tensor, so a model never sits in memory whole.
 * @module
 */
import { open } from "node:fs/promises";
import { ModelFileError } from "../model-file.js";

/** A tensor inside a shard: where its bytes are and how to read them. */
export interface StoredTensor {
  readonly name: string;
  readonly dtype: string;
  /** PyTorch order: the last dimension varies fastest. */
  readonly shape: readonly number[];
  readonly file: string;
  /** Absolute byte offset of the data in `file`. */
  readonly offset: number;
  readonly byteLength: number;
}

/** Real headers are a few hundred KB; anything far larger is not a SafeTensors file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function isHeaderEntry(value: unknown): value is HeaderEntry {
  const entry = value as Partial<HeaderEntry> | null;
  return (
    typeof entry === "object" &&
    entry !== null &&
    typeof entry.dtype === "string" &&
    Array.isArray(entry.shape) &&
    Array.isArray(entry.data_offsets) &&
    entry.data_offsets.length === 2
  );
}

async function readExactly(path: string, position: number, length: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, position);
    if (bytesRead !== length) throw new ModelFileError(`${path}: truncated SafeTensors file`);
    return buffer;
  } finally {
    await file.close();
  }
}

/** Every tensor in one SafeTensors file (the `__metadata__` entry is skipped). */
export async function readSafetensorsHeader(path: string): Promise<StoredTensor[]> {
  const headerLength = Number((await readExactly(path, 0, 8)).readBigUInt64LE());
  if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
    throw new ModelFileError(`${path}: not a SafeTensors file (header length ${headerLength})`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse((await readExactly(path, 8, headerLength)).toString("utf8")) as Record<
      string,
      unknown
    >;
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    throw new ModelFileError(`${path}: the SafeTensors header is not JSON`);
  }
  const dataStart = 8 + headerLength;
  const tensors: StoredTensor[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (!isHeaderEntry(entry)) throw new ModelFileError(`${path}: malformed header entry for ${name}`);
    const [start, end] = entry.data_offsets;
    tensors.push({
      name,
      dtype: entry.dtype,
      shape: entry.shape,
      file: path,
      offset: dataStart + start,
      byteLength: end - start,
    });
  }
  return tensors;
}
