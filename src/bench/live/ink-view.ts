/**
 * The ink live view: renders `LiveScreen` to the terminal and re-renders it with each new state. It
 * leaves Ctrl-C to the runner (which stops the run and still writes the report) and does not patch
 * the console, so the summary printed after it stays as it is.
 * @module
 */
import { type Instance, render } from "ink";
import { createElement as h } from "react";
import type { LiveState } from "./live-figures.js";
import { LiveScreen } from "./live-screen.js";
import type { LiveView } from "./view.js";

export class InkView implements LiveView {
  readonly intervalMs = 250;
  readonly #stdout: NodeJS.WriteStream;
  #instance: Instance | undefined;

  constructor(stdout: NodeJS.WriteStream) {
    this.#stdout = stdout;
  }

  update(state: LiveState): void {
    const tree = h(LiveScreen, { state, columns: this.#stdout.columns || 100 });
    if (this.#instance) this.#instance.rerender(tree);
    else
      this.#instance = render(tree, {
        stdout: this.#stdout,
        exitOnCtrlC: false,
        patchConsole: false,
      });
  }

  async stop(final: LiveState): Promise<void> {
    this.update(final);
    const instance = this.#instance;
    this.#instance = undefined;
    if (!instance) return;
    instance.unmount();
    await instance.waitUntilExit();
  }
}
