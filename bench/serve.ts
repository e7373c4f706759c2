/**
 * `npm run bench:serve`: tokens per second of `switchyard serve` against calling node-llama-cpp directly,
 * in one run on one machine (docs/performance.md: serve within 5 % of direct).
 *
 * For each model — the generated tiny model always, and `--model-path` when given — it measures, one
 * after the other so they never share the CPU or GPU:
 * - direct: `LlamaCompletion` on the context sequences in this process, the same prompt, sampling,
 *   threads, context size and sequence count as the server;
 * - serve: a `switchyard serve` child process, driven over HTTP with `/v1/completions` as JSON and as SSE.
 * Each at 1 request at a time and at `--max-concurrent` parallel requests (closed loop), for
 * `--duration` seconds per cell: bounded in time. Tokens are counted from the engine (direct) and from
 * `usage.completion_tokens` (serve).
 * @module
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { getLlama, LlamaCompletion, LlamaLogLevel, LlamaText, SpecialTokensText } from "node-llama-cpp";
import { ensureTinyModel, TINY_MODEL } from "../test/fixtures/tiny-gguf.js";
import { formatRate, renderTable } from "./format.js";
import { startProcess, stopAll } from "./processes.js";

const CLI = fileURLToPath(new URL("../src/cli/index.js", import.meta.url));

interface Options {
  modelPath?: string;
  maxConcurrent: number;
  maxTokens: number;
  duration: number;
  threads?: number;
  contextSize: number;
  deviceMap: "auto" | "cpu";
}

/** One model to measure. */
interface Subject {
  readonly label: string;
  readonly file: string;
  readonly prompt: string;
  readonly threads: number;
}

/** Tokens generated and the wall time they took. */
interface Rate {
  readonly tokens: number;
  readonly seconds: number;
}

const perSecond = (rate: Rate) => rate.tokens / rate.seconds;

/** Runs `workers` loops of `once` until `seconds` have passed; each loop finishes its last call. */
async function closedLoop(
  workers: number,
  seconds: number,
  once: (worker: number) => Promise<number>,
): Promise<Rate> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let tokens = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      do tokens += await once(worker);
      while (performance.now() < deadline);
    }),
  );
  return { tokens, seconds: (performance.now() - started) / 1000 };
}

async function measureDirect(
  subject: Subject,
  options: Options,
  concurrency: readonly number[],
): Promise<Rate[]> {
  const llama = await getLlama({
    gpu: options.deviceMap === "cpu" ? false : "auto",
    build: "never",
    maxThreads: subject.threads,
    logLevel: LlamaLogLevel.error,
  });
  try {
    const model = await llama.loadModel({
      modelPath: subject.file,
      gpuLayers: options.deviceMap === "cpu" ? 0 : "auto",
    });
    const context = await model.createContext({
      sequences: options.maxConcurrent,
      contextSize: options.contextSize,
      threads: subject.threads,
    });
    // The same tokens serve's /v1/completions evaluates (special tokens parsed).
    const tokens = LlamaText(new SpecialTokensText(subject.prompt)).tokenize(model.tokenizer);
    const sequences = Array.from({ length: options.maxConcurrent }, () => context.getSequence());
    const completions = sequences.map((sequence) => new LlamaCompletion({ contextSequence: sequence }));
    const once = async (worker: number) => {
      const meter = sequences[worker]!.tokenMeter;
      const before = meter.getState();
      await completions[worker]!.generateCompletion(tokens, {
        maxTokens: options.maxTokens,
        temperature: 0,
        repeatPenalty: false,
      });
      return meter.diff(before).usedOutputTokens;
    };
    await once(0); // warm-up
    const rates: Rate[] = [];
    for (const workers of concurrency) rates.push(await closedLoop(workers, options.duration, once));
    return rates;
  } finally {
    await llama.dispose();
  }
}

async function completionTokens(
  url: string,
  subject: Subject,
  options: Options,
  stream: boolean,
): Promise<number> {
  const response = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "bench",
      prompt: subject.prompt,
      max_tokens: options.maxTokens,
      temperature: 0,
      stream,
      stream_options: stream ? { include_usage: true } : undefined,
    }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`serve answered ${response.status}: ${text.slice(0, 300)}`);
  const usage = /"completion_tokens":(\d+)/.exec(text.slice(-400));
  if (usage === null) throw new Error(`no usage in serve's answer: ${text.slice(-300)}`);
  return Number(usage[1]);
}

async function measureServe(
  subject: Subject,
  options: Options,
  concurrency: readonly number[],
): Promise<{ json: Rate[]; sse: Rate[] }> {
  const serve = await startProcess(
    "serve",
    CLI,
    [
      "serve",
      ...["--model-path", subject.file, "--model-name", "bench", "--port", "0"],
      ...["--threads", String(subject.threads), "--max-concurrent", String(options.maxConcurrent)],
      ...["--max-queue", String(options.maxConcurrent), "--context-size", String(options.contextSize)],
      ...["--device-map", options.deviceMap, "--log-level", "warn"],
    ],
    300_000,
  );
  try {
    await completionTokens(serve.url, subject, options, false); // warm-up
    const json: Rate[] = [];
    const sse: Rate[] = [];
    for (const workers of concurrency) {
      json.push(
        await closedLoop(workers, options.duration, () =>
          completionTokens(serve.url, subject, options, false),
        ),
      );
      sse.push(
        await closedLoop(workers, options.duration, () =>
          completionTokens(serve.url, subject, options, true),
        ),
      );
    }
    return { json, sse };
  } finally {
    await serve.stop();
  }
}

async function benchSubject(subject: Subject, options: Options): Promise<void> {
  const concurrency = options.maxConcurrent > 1 ? [1, options.maxConcurrent] : [1];
  const started = performance.now();
  const direct = await measureDirect(subject, options, concurrency);
  const served = await measureServe(subject, options, concurrency);
  const ratio = (a: Rate, b: Rate) => (perSecond(a) / perSecond(b)).toFixed(3);
  const rows = concurrency.map((workers, index) => {
    const base = direct[index]!;
    const json = served.json[index]!;
    const sse = served.sse[index]!;
    return [
      workers === 1 ? "1 request" : `${workers} parallel`,
      formatRate(perSecond(base)),
      formatRate(perSecond(json)),
      formatRate(perSecond(sse)),
      ratio(json, base),
      ratio(sse, base),
    ];
  });
  console.log(
    `\n${subject.label}: threads ${subject.threads}, max_tokens ${options.maxTokens}, ` +
      `${options.duration} s per cell, context ${options.contextSize}, device ${options.deviceMap}`,
  );
  console.log(
    renderTable(
      ["", "direct tok/s", "serve JSON tok/s", "serve SSE tok/s", "JSON/direct", "SSE/direct"],
      rows,
      ["left", "right", "right", "right", "right", "right"],
    ),
  );
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${text}"`);
  return value;
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${text}"`);
  return value;
}

const program = new Command("bench:serve")
  .description("tokens/s of switchyard serve against node-llama-cpp called directly")
  .option("--model-path <file>", "also measure this GGUF model (after the generated tiny one)")
  .option("--max-concurrent <n>", "parallel requests (and sequences)", positiveInteger, 2)
  .option("--max-tokens <n>", "tokens per request", positiveInteger, 128)
  .option("--duration <seconds>", "seconds per measurement cell", positiveNumber, 3)
  .option(
    "--threads <n>",
    "CPU threads (default: 1 for the tiny model, all cores for --model-path)",
    positiveInteger,
  )
  .option("--context-size <tokens>", "tokens per sequence", positiveInteger, 2048)
  .option("--device-map <device>", "auto or cpu", "auto")
  .action(async (options: Options) => {
    if (options.deviceMap !== "auto" && options.deviceMap !== "cpu") {
      throw new InvalidArgumentError("--device-map must be auto or cpu");
    }
    const subjects: Subject[] = [
      {
        label: "generated tiny model (test/fixtures/tiny-gguf.ts)",
        file: ensureTinyModel(),
        // The tiny model repeats `z` after `z`: every request generates exactly max_tokens.
        prompt: TINY_MODEL.loopPrompt,
        threads: options.threads ?? 1,
      },
    ];
    if (options.modelPath !== undefined) {
      subjects.push({
        label: options.modelPath,
        file: options.modelPath,
        prompt: "Write a long, detailed story about a lighthouse keeper who finds a map.",
        threads: options.threads ?? availableParallelism(),
      });
    }
    for (const subject of subjects) await benchSubject(subject, options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`bench:serve: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
