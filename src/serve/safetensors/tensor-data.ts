/**
 * Reads one planned tensor's bytes from its shard and hands them on in GGUF form, a bounded chunk at a
 * time for plain copies (the embedding of a large vocabulary is over a gigabyte). Permuted and widened
 * tensors (attention q/k, norms, biases) are read whole: each is a small part of the model.
 * @module
 */
import type { FileHandle } from "node:fs/promises";
import type { PlannedTensor } from "./tensor-plan.js";

/** Plain copies move through a buffer of this size. */
const CHUNK_BYTES = 16 * 1024 * 1024;

async function readRange(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return buffer;
}

/** IEEE half → number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function readValue(bytes: Buffer, index: number, dtype: string): number {
  if (dtype === "F32") return bytes.readFloatLE(index * 4);
  const bits = bytes.readUInt16LE(index * 2);
  // BF16 is the top half of an F32.
  return dtype === "BF16" ? new Float32Array(new Uint32Array([bits << 16]).buffer)[0]! : halfToFloat(bits);
}

function widen(bytes: Buffer, dtype: string, shift: number): Buffer {
  const count = bytes.length / (dtype === "F32" ? 4 : 2);
  const out = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) out.writeFloatLE(readValue(bytes, i, dtype) + shift, i * 4);
  return out;
}

/**
 * Rows of each head go from HF's layout (first half of the rotary pairs, then the second) to
 * llama.cpp's interleaved pairs, as convert_hf_to_gguf.py's permute does.
 */
function permuteRows(bytes: Buffer, rows: number, heads: number): Buffer {
  const rowBytes = bytes.length / rows;
  const headRows = rows / heads;
  const half = headRows / 2;
  const out = Buffer.alloc(bytes.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let pair = 0; pair < 2; pair++) {
        const from = head * headRows + pair * half + i;
        const to = head * headRows + i * 2 + pair;
        bytes.copy(out, to * rowBytes, from * rowBytes, (from + 1) * rowBytes);
      }
    }
  }
  return out;
}

/** The tensor's GGUF bytes, chunk by chunk. `open` gives the (cached) handle of a shard. */
export async function* tensorBytes(
  tensor: PlannedTensor,
  open: (path: string) => Promise<FileHandle>,
): AsyncGenerator<Buffer> {
  const { source, change } = tensor;
  const file = await open(source.file);
  if (change.kind === "copy") {
    for (let done = 0; done < source.byteLength; done += CHUNK_BYTES) {
      yield await readRange(file, source.offset + done, Math.min(CHUNK_BYTES, source.byteLength - done));
    }
    return;
  }
  const bytes = await readRange(file, source.offset, source.byteLength);
  if (change.kind === "widen") yield widen(bytes, source.dtype, change.shift);
  else yield permuteRows(bytes, source.shape[0]!, change.heads);
}
