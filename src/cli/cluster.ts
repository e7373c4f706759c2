import type { Command } from "commander";

export function registerClusterCommand(program: Command): void {
  program.command("cluster").description("Run N mock backends and a gateway (work in progress)");
}
