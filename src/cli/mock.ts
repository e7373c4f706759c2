import type { Command } from "commander";

export function registerMockCommand(program: Command): void {
  program.command("mock").description("Run the deterministic mock backend (work in progress)");
}
