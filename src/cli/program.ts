/**
 * The `switchyard` command table. Each subcommand lives in its own file, declares its options with
 * the option mechanism (src/options/) and lazy-imports its runtime, so `switchyard mock` never loads
 * what `gateway` or `serve` need. The binary builds this whole table only when its command line
 * names no subcommand (`--help`, a typo); program-for.ts says why. Exported so tests can parse argv without spawning a process:
 * `run` replaces a subcommand's runtime with a function that receives the parsed options.
 * @module
 */
import type { Command } from "commander";
import type { BenchCommandInput } from "../bench/command.js";
import type { ClusterOptions } from "../cluster/cluster.js";
import type { MockOptions } from "../mock/options.js";
import type { ServeOptions } from "../serve/options.js";
import { registerBenchCommand } from "./bench.js";
import { registerClusterCommand } from "./cluster.js";
import { type GatewayRun, registerGatewayCommand } from "./gateway.js";
import { registerMockCommand } from "./mock.js";
import { rootCommand } from "./root.js";
import { registerServeCommand } from "./serve.js";

export interface Runners {
  gateway: (input: GatewayRun) => Promise<void>;
  mock: (options: MockOptions) => Promise<void>;
  serve: (options: ServeOptions) => Promise<void>;
  cluster: (options: ClusterOptions) => Promise<void>;
  bench: (input: BenchCommandInput) => Promise<void>;
}

export interface ProgramOptions {
  run?: Partial<Runners>;
  /** The environment options are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export function buildProgram(options: ProgramOptions = {}): Command {
  const env = options.env ?? process.env;
  const program = rootCommand();
  registerGatewayCommand(program, options.run?.gateway, env);
  registerMockCommand(program, options.run?.mock, env);
  registerClusterCommand(program, options.run?.cluster, env);
  registerServeCommand(program, options.run?.serve, env);
  registerBenchCommand(program, options.run?.bench, env);
  return program;
}
