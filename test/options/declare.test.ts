import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { addOptions, helpText, readOptions } from "../../src/options/commander.js";
import { defineOptions, OptionsError } from "../../src/options/declare.js";

const OPTIONS = defineOptions({
  target: { type: z.string().optional(), flag: "[target]", help: "where to go" },
  port: {
    type: z.number().int().min(0).max(65535).default(8000),
    flag: "--port <port>",
    env: ["DEMO_PORT", "OTHER_PORT"],
    help: "port to listen on",
  },
  rate: { type: z.number().min(0).max(1).optional(), flag: "--rate <rate>", help: "a fraction" },
  models: { type: z.array(z.string()).default(["a"]), flag: "--models <list>", help: "models" },
  tag: { type: z.array(z.string()).optional(), flag: "--tag <tag>", repeatable: true, help: "tags" },
  shares: {
    type: z.array(z.number().min(0)).optional(),
    flag: "--share <list>",
    repeatable: true,
    fromText: (text: string) => text.split(",").map(Number),
    help: "shares",
  },
  tui: { type: z.boolean().default(true), flag: "--no-tui", aliases: ["--no-curses"], help: "plain lines" },
  quiet: { type: z.boolean().default(false), flag: "--quiet", help: "say less" },
  name: { type: z.string().min(1), flag: "--name <name>", help: "required" },
});

function parse(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = addOptions(new Command("demo").exitOverride(), OPTIONS);
  command.parse(args, { from: "user" });
  return readOptions(command, OPTIONS, env);
}

describe("defineOptions", () => {
  it("applies the defaults", () => {
    expect(parse(["--name", "n"])).toEqual({ port: 8000, models: ["a"], tui: true, quiet: false, name: "n" });
  });

  it("takes flags over env over defaults, the first env variable set winning", () => {
    expect(parse(["--name=n"], { OTHER_PORT: "2", DEMO_PORT: "" }).port).toBe(2);
    expect(parse(["--name=n"], { OTHER_PORT: "2", DEMO_PORT: "1" }).port).toBe(1);
    expect(parse(["--name=n", "--port", "3"], { DEMO_PORT: "1" }).port).toBe(3);
  });

  it("reads numbers, lists, repeated flags, switches, aliases and positional arguments", () => {
    const options = parse([
      "here",
      "--name=n",
      "--rate=0.5",
      "--models",
      "x, y;z",
      "--tag",
      "a,b",
      "--tag",
      "c",
      "--share",
      "3,1",
      "--share",
      "2",
      "--no-curses",
      "--quiet",
    ]);
    expect(options).toMatchObject({
      target: "here",
      rate: 0.5,
      models: ["x", "y", "z"],
      tag: ["a,b", "c"],
      shares: [3, 1, 2],
      tui: false,
      quiet: true,
    });
    expect(parse(["--name=n", "--no-tui"]).tui).toBe(false);
  });

  it("names the flag or variable of a bad value, in one line", () => {
    expect(() => parse(["--name=n", "--port", "70000"])).toThrow(
      /^--port: Too big: expected number to be <=65535 \(got "70000"\)$/,
    );
    expect(() => parse(["--name=n"], { OTHER_PORT: "x" })).toThrow(/^OTHER_PORT: .*\(got "x"\)$/);
    expect(() => parse(["--name=n", "--port", ""])).toThrow(/--port: .*expected number/);
    expect(() => parse([])).toThrow(OptionsError);
    expect(() => parse([])).toThrow(/^--name is required$/);
    expect(() => parse(["--rate=2", "--port=-1"])).toThrow(/--port: .*; --rate: .*; --name is required/);
  });

  it("shows env variables and the default in the help, never a switch's default", () => {
    const [, port, , models, , , tui, quiet] = OPTIONS.entries;
    expect(helpText(OPTIONS, port!)).toBe("port to listen on (env DEMO_PORT, OTHER_PORT; default: 8000)");
    expect(helpText(OPTIONS, models!)).toBe("models (default: a)");
    expect(helpText(OPTIONS, tui!)).toBe("plain lines");
    expect(helpText(OPTIONS, quiet!)).toBe("say less");
    const help = addOptions(new Command("demo"), OPTIONS).helpInformation();
    expect(help).toContain("--no-curses");
    expect(help).toContain("same as --no-tui");
    expect(help).toContain("[target]");
  });
});
