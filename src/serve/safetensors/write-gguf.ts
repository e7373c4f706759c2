/**
 * Writes a planned conversion to a GGUF file: the header, then each tensor streamed from its shard.
 * The bytes go to a temporary file beside the target, renamed into place only once complete and
 * flushed, so a killed conversion never leaves a file that looks finished.
 * @module
 */
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { encodeGgufHeader, type GgufTensorInfo, paddingAfter } from "../gguf/writer.js";
import type { ConversionPlan } from "./conversion-plan.js";
import { tensorBytes } from "./tensor-data.js";

/** Bytes of tensor data read so far, of the plan's total. */
export type ProgressListener = (done: number, total: number) => void;

async function writeAll(output: FileHandle, buffer: Buffer): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await output.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
}

async function writeTensors(
  output: FileHandle,
  plan: ConversionPlan,
  onProgress: ProgressListener,
): Promise<void> {
  const shards = new Map<string, FileHandle>();
  const openShard = async (path: string) => {
    let handle = shards.get(path);
    if (handle === undefined) {
      handle = await open(path, "r");
      shards.set(path, handle);
    }
    return handle;
  };
  try {
    let done = 0;
    for (const tensor of plan.tensors) {
      let length = 0;
      for await (const chunk of tensorBytes(tensor, openShard)) {
        await writeAll(output, chunk);
        length += chunk.length;
      }
      await writeAll(output, Buffer.alloc(paddingAfter(length)));
      done += tensor.source.byteLength;
      onProgress(done, plan.totalBytes);
    }
    for (const extra of plan.extraTensors) {
      const bytes = Buffer.from(extra.data.buffer, extra.data.byteOffset, extra.data.byteLength);
      await writeAll(output, bytes);
      await writeAll(output, Buffer.alloc(paddingAfter(bytes.length)));
    }
  } finally {
    await Promise.all([...shards.values()].map((handle) => handle.close()));
  }
}

function tensorInfos(plan: ConversionPlan): GgufTensorInfo[] {
  return [
    ...plan.tensors.map((tensor) => tensor.info),
    ...plan.extraTensors.map((extra) => ({
      name: extra.name,
      dims: [extra.data.length],
      type: "f32" as const,
    })),
  ];
}

/** Writes the GGUF to `target` (atomically: a temporary file renamed when complete). */
export async function writeConvertedGguf(
  plan: ConversionPlan,
  target: string,
  onProgress: ProgressListener = () => undefined,
): Promise<void> {
  const temporary = `${target}.${process.pid}.partial`;
  const output = await open(temporary, "w");
  try {
    await writeAll(output, encodeGgufHeader(plan.metadata, tensorInfos(plan)));
    await writeTensors(output, plan, onProgress);
    await output.sync();
    await output.close();
    await rename(temporary, target);
  } catch (error) {
    await output.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
