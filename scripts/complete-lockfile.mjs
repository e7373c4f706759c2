#!/usr/bin/env node
// The npm registry this project's machines reach lacks node-llama-cpp's macOS, Windows and RISC-V
// builds, so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock
// as out of sync. This adds the missing optional platform entries (no tarball: npm skips them on
// install because their os/cpu never match). Run it after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = {
  "linux-riscv64": { os: ["linux"], cpu: ["riscv64"] },
  "mac-arm64-metal": { os: ["darwin"], cpu: ["arm64", "x64"] },
  "mac-x64": { os: ["darwin"], cpu: ["x64"] },
  "win-arm64": { os: ["win32"], cpu: ["arm64", "x64"] },
  "win-x64": { os: ["win32"], cpu: ["x64"] },
  "win-x64-cuda": { os: ["win32"], cpu: ["x64"] },
  "win-x64-cuda-ext": { os: ["win32"], cpu: ["x64"] },
  "win-x64-vulkan": { os: ["win32"], cpu: ["x64"] },
};

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const engine = packages["node_modules/node-llama-cpp"];
if (!engine) throw new Error("node-llama-cpp is not in package-lock.json");
let added = 0;
for (const name of Object.keys(engine.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (packages[key]) continue;
  const platform = PLATFORMS[name.replace("@node-llama-cpp/", "")];
  if (!platform) throw new Error(`no platform facts for ${name}: add it to PLATFORMS`);
  packages[key] = {
    version: engine.version,
    ...platform,
    license: "MIT",
    optional: true,
    engines: { node: ">=20.0.0" },
  };
  added++;
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entr${added === 1 ? "y" : "ies"} added`);
