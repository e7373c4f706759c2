/**
 * A GGUF v3 writer: typed key/value metadata and unquantised tensors (F32, F16, BF16), laid out the way
 * llama.cpp reads them (header, metadata, tensor infos, then tensor data aligned to 32 bytes).
 *
 * The header is encoded on its own ({@link encodeGgufHeader}) so a converter can stream each tensor's
 * bytes into the file after it instead of holding the model in memory; {@link encodeGguf} builds a
 * whole small file in one buffer (the test models). Output is a pure function of the input.
 * @module
 */

/** GGUF value types (gguf.md); only those the writer emits. */
const GGUF_TYPE = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;

/** ggml tensor types the writer emits, with their ids and bytes per element. */
export const GGML_TYPES = {
  f32: { id: 0, bytes: 4 },
  f16: { id: 1, bytes: 2 },
  bf16: { id: 30, bytes: 2 },
} as const;
export type GgmlType = keyof typeof GGML_TYPES;

/** Tensor data starts, and each tensor's data is padded, to this many bytes (GGUF's default). */
export const GGUF_ALIGNMENT = 32;

/** One metadata value, tagged so the writer knows its GGUF type. */
export type GgufValue =
  | { readonly type: "uint32"; readonly value: number }
  | { readonly type: "int32"; readonly value: number }
  | { readonly type: "float32"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "strings"; readonly value: readonly string[] }
  | { readonly type: "int32s"; readonly value: readonly number[] }
  | { readonly type: "float32s"; readonly value: readonly number[] };

/** Where a tensor goes in the file: `dims[0]` varies fastest (ggml's `ne[0]`, the reverse of PyTorch's shape). */
export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlType;
}

/** A tensor held in memory: F32 values, or F16/BF16 bit patterns. */
export type GgufTensor =
  | { readonly name: string; readonly dims: readonly number[]; readonly data: Float32Array }
  | {
      readonly name: string;
      readonly dims: readonly number[];
      readonly type: "f16" | "bf16";
      readonly data: Uint16Array;
    };

/** Bytes of a tensor's data, before padding. */
export function tensorByteLength(info: GgufTensorInfo): number {
  return info.dims.reduce((product, dim) => product * dim, 1) * GGML_TYPES[info.type].bytes;
}

/** Zero bytes that follow `length` bytes so the next tensor starts aligned. */
export function paddingAfter(length: number): number {
  const rest = length % GGUF_ALIGNMENT;
  return rest === 0 ? 0 : GGUF_ALIGNMENT - rest;
}

/** Appends little-endian values to a growing list of buffers. */
class ByteSink {
  readonly parts: Buffer[] = [];
  length = 0;

  push(buffer: Buffer): void {
    this.parts.push(buffer);
    this.length += buffer.length;
  }

  private fixed(size: number, write: (buffer: Buffer) => void): void {
    const buffer = Buffer.alloc(size);
    write(buffer);
    this.push(buffer);
  }

  u32(value: number): void {
    this.fixed(4, (buffer) => buffer.writeUInt32LE(value));
  }

  i32(value: number): void {
    this.fixed(4, (buffer) => buffer.writeInt32LE(value));
  }

  u64(value: number): void {
    this.fixed(8, (buffer) => buffer.writeBigUInt64LE(BigInt(value)));
  }

  f32(value: number): void {
    this.fixed(4, (buffer) => buffer.writeFloatLE(value));
  }

  string(text: string): void {
    const bytes = Buffer.from(text, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }

  pad(): void {
    const padding = paddingAfter(this.length);
    if (padding > 0) this.push(Buffer.alloc(padding));
  }
}

function writeArray<T>(
  sink: ByteSink,
  itemType: number,
  items: readonly T[],
  write: (item: T) => void,
): void {
  sink.u32(GGUF_TYPE.array);
  sink.u32(itemType);
  sink.u64(items.length);
  for (const item of items) write(item);
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case "uint32":
      sink.u32(GGUF_TYPE.uint32);
      sink.u32(value.value);
      return;
    case "int32":
      sink.u32(GGUF_TYPE.int32);
      sink.i32(value.value);
      return;
    case "float32":
      sink.u32(GGUF_TYPE.float32);
      sink.f32(value.value);
      return;
    case "bool":
      sink.u32(GGUF_TYPE.bool);
      sink.push(Buffer.from([value.value ? 1 : 0]));
      return;
    case "string":
      sink.u32(GGUF_TYPE.string);
      sink.string(value.value);
      return;
    case "strings":
      writeArray(sink, GGUF_TYPE.string, value.value, (item) => sink.string(item));
      return;
    case "int32s":
      writeArray(sink, GGUF_TYPE.int32, value.value, (item) => sink.i32(item));
      return;
    case "float32s":
      writeArray(sink, GGUF_TYPE.float32, value.value, (item) => sink.f32(item));
      return;
  }
}

/**
 * Everything before the first tensor's data, padded to the alignment: the tensors' data must follow in
 * `tensors` order, each padded with {@link paddingAfter}.
 */
export function encodeGgufHeader(
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly GgufTensorInfo[],
): Buffer {
  const sink = new ByteSink();
  sink.push(Buffer.from("GGUF", "ascii"));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(GGML_TYPES[tensor.type].id);
    sink.u64(offset);
    const length = tensorByteLength(tensor);
    offset += length + paddingAfter(length);
  }
  sink.pad();
  return Buffer.concat(sink.parts);
}

function infoOf(tensor: GgufTensor): GgufTensorInfo {
  return { name: tensor.name, dims: tensor.dims, type: "type" in tensor ? tensor.type : "f32" };
}

/** Serialises a whole GGUF file into one buffer (small models only). */
export function encodeGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const infos = tensors.map(infoOf);
  const parts: Buffer[] = [encodeGgufHeader(metadata, infos)];
  tensors.forEach((tensor, index) => {
    const length = tensorByteLength(infos[index]!);
    if (length !== tensor.data.byteLength) throw new Error(`tensor ${tensor.name}: dims and data disagree`);
    parts.push(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    parts.push(Buffer.alloc(paddingAfter(length)));
  });
  return Buffer.concat(parts);
}
