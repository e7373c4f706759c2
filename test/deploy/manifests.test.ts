/**
 * deploy/: no container engine or cluster runs here, so the Dockerfile and the Kubernetes manifests
 * are parsed and the fields that decide whether a deployment works are checked: probes, ports, env
 * wiring to Redis, the Secret and the ConfigMap, resources, non-root.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { gatewayConfigSchema } from "../../src/config/schema.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const k8sDir = join(root, "deploy", "k8s");

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  periodSeconds?: number;
}
interface Resources {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: Resources;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas: number;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds?: number;
        securityContext?: SecurityContext;
        containers: Container[];
        volumes?: { name: string; configMap?: { name: string; items?: { key: string; path: string }[] } }[];
      };
    };
  };
}
interface Service extends Manifest {
  spec: {
    type?: string;
    selector: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: number | string }[];
  };
}
interface ConfigMap extends Manifest {
  data: Record<string, string>;
}
interface Secret extends Manifest {
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

const manifestFiles = readdirSync(k8sDir)
  .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
  .sort();

function readDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(join(k8sDir, file), "utf8"));
  return documents.map((document) => {
    expect(document.errors, `${file}: ${document.errors.map((error) => error.message).join("; ")}`).toEqual(
      [],
    );
    return document.toJS() as unknown;
  });
}

const resourceFiles = manifestFiles.filter((name) => name !== "kustomization.yaml");
const manifests: Manifest[] = resourceFiles
  .flatMap((file) => readDocuments(file))
  .filter((document) => document !== null) as Manifest[];

function find<T extends Manifest>(kind: string, predicate: (manifest: T) => boolean = () => true): T {
  const found = manifests.filter((manifest) => manifest.kind === kind).map((manifest) => manifest as T);
  const match = found.find(predicate);
  expect(match, `a ${kind} manifest`).toBeDefined();
  return match!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const gateway = find<Deployment>("Deployment", (deployment) => deployment.metadata.name.includes("gateway"));
const gatewayPod = gateway.spec.template.spec;
const gatewayContainer = gatewayPod.containers[0]!;
const redis = find<Deployment>("Deployment", (deployment) =>
  deployment.spec.template.spec.containers.some((container) => container.image.startsWith("redis")),
);
const redisService = find<Service>("Service", (service) =>
  matches(service.spec.selector, redis.spec.template.metadata.labels),
);
const gatewayService = find<Service>("Service", (service) =>
  matches(service.spec.selector, gateway.spec.template.metadata.labels),
);

function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((variable) => variable.name === name)?.value;
}

function namedPort(container: Container, name: string): number | undefined {
  return container.ports?.find((port) => port.name === name)?.containerPort;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  if (at >= 0) return args[at + 1];
  return args.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

describe("Kubernetes manifests", () => {
  it("every file parses into objects with apiVersion, kind and a name", () => {
    expect(resourceFiles.length).toBeGreaterThanOrEqual(6);
    for (const manifest of manifests) {
      expect(typeof manifest.apiVersion, JSON.stringify(manifest).slice(0, 80)).toBe("string");
      expect(typeof manifest.kind).toBe("string");
      expect(manifest.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    const kinds = manifests.map((manifest) => manifest.kind);
    for (const kind of ["Namespace", "ConfigMap", "Secret", "Deployment", "Service"])
      expect(kinds).toContain(kind);
  });

  it("puts every namespaced object in the Namespace that is defined", () => {
    const namespace = find("Namespace").metadata.name;
    for (const manifest of manifests.filter((manifest) => manifest.kind !== "Namespace")) {
      expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name}`).toBe(namespace);
    }
  });

  it("kustomization lists every manifest in deploy/k8s, and nothing else", () => {
    const [kustomization] = readDocuments("kustomization.yaml") as { kind: string; resources: string[] }[];
    expect(kustomization?.kind).toBe("Kustomization");
    expect([...(kustomization?.resources ?? [])].sort()).toEqual(resourceFiles);
  });

  it("runs several gateway replicas and rolls them without losing capacity", () => {
    expect(gateway.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(matches(gateway.spec.selector.matchLabels, gateway.spec.template.metadata.labels)).toBe(true);
    expect(gateway.spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it("probes readiness on /health and liveness on / at the named http port", () => {
    expect(namedPort(gatewayContainer, "http")).toBe(8080);
    expect(gatewayContainer.readinessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
    expect(gatewayContainer.livenessProbe?.httpGet).toEqual({ path: "/", port: "http" });
  });

  it("listens where the probes look: args bind 0.0.0.0 on the container port", () => {
    const args = gatewayContainer.args ?? [];
    expect(args[0]).toBe("gateway");
    expect(flagValue(args, "--host")).toBe("0.0.0.0");
    expect(Number(flagValue(args, "--port"))).toBe(namedPort(gatewayContainer, "http"));
  });

  it("wires REDIS_HOST and REDIS_PORT to the redis Service", () => {
    expect(envValue(gatewayContainer, "REDIS_HOST")).toBe(redisService.metadata.name);
    const redisPort = redisService.spec.ports[0]!;
    expect(Number(envValue(gatewayContainer, "REDIS_PORT"))).toBe(redisPort.port);
    // The Service reaches the port Redis listens on.
    const redisContainer = redis.spec.template.spec.containers[0]!;
    const target = redisPort.targetPort ?? redisPort.port;
    const listening =
      typeof target === "number"
        ? redisContainer.ports?.some((port) => port.containerPort === target)
        : namedPort(redisContainer, target) !== undefined;
    expect(listening).toBe(true);
    expect(redisContainer.ports?.some((port) => port.containerPort === 6379)).toBe(true);
  });

  it("probes Redis and gives it resources", () => {
    const redisContainer = redis.spec.template.spec.containers[0]!;
    for (const probe of [redisContainer.readinessProbe, redisContainer.livenessProbe]) {
      expect(probe).toBeDefined();
      const usable =
        probe?.tcpSocket !== undefined || (probe?.exec?.command ?? []).join(" ").includes("redis-cli ping");
      expect(usable).toBe(true);
    }
    expect(redisContainer.resources?.requests?.memory).toBeDefined();
    expect(redisContainer.resources?.limits?.memory).toBeDefined();
  });

  it("takes its keys from the Secret that is defined", () => {
    const secretNames = (gatewayContainer.envFrom ?? []).flatMap((source) =>
      source.secretRef ? [source.secretRef.name] : [],
    );
    expect(secretNames.length).toBeGreaterThan(0);
    for (const name of secretNames) {
      const secret = find<Secret>("Secret", (candidate) => candidate.metadata.name === name);
      const keys = Object.keys({ ...secret.stringData, ...secret.data });
      for (const key of ["OPENAI_API_KEYS", "ANTHROPIC_API_KEYS", "SWITCHYARD_ADMIN_TOKEN"]) {
        expect(keys).toContain(key);
      }
    }
  });

  it("mounts the ConfigMap where --config points, and its config is valid", () => {
    const configPath = flagValue(gatewayContainer.args ?? [], "--config");
    expect(configPath).toBeDefined();
    const volume = gatewayPod.volumes?.find((candidate) => candidate.configMap !== undefined);
    expect(volume).toBeDefined();
    const mount = gatewayContainer.volumeMounts?.find((candidate) => candidate.name === volume!.name);
    expect(mount).toBeDefined();
    const configMap = find<ConfigMap>(
      "ConfigMap",
      (candidate) => candidate.metadata.name === volume!.configMap!.name,
    );
    // The file name inside the mount: the item's path, or the key itself when no items are listed.
    const fileName = configPath!.slice(mount!.mountPath.replace(/\/$/, "").length + 1);
    expect(configPath!.startsWith(`${mount!.mountPath.replace(/\/$/, "")}/`)).toBe(true);
    const items = volume!.configMap!.items;
    const key = items ? items.find((item) => item.path === fileName)?.key : fileName;
    expect(key, `${fileName} in the ConfigMap volume`).toBeDefined();
    const text = configMap.data[key!];
    expect(text, `ConfigMap key ${key}`).toBeDefined();

    const result = gatewayConfigSchema.safeParse(parse(text!));
    expect(result.success, result.error?.message).toBe(true);
    expect(result.data?.backends.length).toBeGreaterThanOrEqual(2);
  });

  it("sets resources, runs as non-root with a read-only root filesystem", () => {
    const resources = gatewayContainer.resources;
    for (const field of ["cpu", "memory"] as const) {
      expect(resources?.requests?.[field], `requests.${field}`).toBeDefined();
      expect(resources?.limits?.[field], `limits.${field}`).toBeDefined();
    }
    const nonRoot =
      gatewayContainer.securityContext?.runAsNonRoot ?? gatewayPod.securityContext?.runAsNonRoot;
    expect(nonRoot).toBe(true);
    const uid = gatewayContainer.securityContext?.runAsUser ?? gatewayPod.securityContext?.runAsUser;
    if (uid !== undefined) expect(uid).toBeGreaterThan(0);
    expect(gatewayContainer.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(gatewayContainer.securityContext?.allowPrivilegeEscalation).toBe(false);
  });

  it("drains before it stops: a preStop pause and a grace period beyond the shutdown timeout", () => {
    const preStop = gatewayContainer.lifecycle?.preStop;
    const pause = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command.at(-1));
    expect(pause).toBeGreaterThan(0);
    const shutdown = Number(envValue(gatewayContainer, "SWITCHYARD_SHUTDOWN_TIMEOUT") ?? 30);
    expect(gatewayPod.terminationGracePeriodSeconds).toBeGreaterThan(pause + shutdown);
  });

  it("exposes the gateway through a Service that targets the named port", () => {
    expect(gatewayService.spec.type ?? "ClusterIP").toBe("ClusterIP");
    const port = gatewayService.spec.ports[0]!;
    expect(port.port).toBe(80);
    expect(port.targetPort).toBe("http");
    expect(namedPort(gatewayContainer, String(port.targetPort))).toBeDefined();
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(root, "deploy", "Dockerfile"), "utf8");
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = dockerfile
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
  const stages = instructions.filter((line) => /^FROM\s/i.test(line));
  const lastStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

  it("builds in one stage and runs in another", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/\sAS\s+build$/i);
    expect(dockerfile).toMatch(/node:20-bookworm-slim/);
    expect(instructions.some((line) => /^RUN\s.*npm ci\b/.test(line))).toBe(true);
    expect(instructions.some((line) => /^RUN\s.*npm run build\b/.test(line))).toBe(true);
    expect(lastStage.some((line) => /^COPY\s+--from=build\b.*\/dist\b/.test(line))).toBe(true);
  });

  it("runs as a non-root user, exposes 8080 and checks its health", () => {
    const user = lastStage.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toBeDefined();
    const name = user!.split(/\s+/)[1]!.split(":")[0]!;
    expect(["root", "0"]).not.toContain(name);
    // The pod's runAsUser, when set, is the image's user.
    const uid = gatewayPod.securityContext?.runAsUser;
    if (uid !== undefined && /^\d+$/.test(name)) expect(Number(name)).toBe(uid);
    expect(lastStage).toContain("EXPOSE 8080");
    expect(lastStage).toContain("ENV SWITCHYARD_PORT=8080");
    expect(healthcheckCommand[0]).toBe("node");
  });

  // The check itself, run against a local server: it must probe the port the gateway listens on,
  // chosen by the same variables in the same order, not a pinned 8080.
  const healthcheckCommand = JSON.parse(
    lastStage.find((line) => /^HEALTHCHECK\s/i.test(line))!.replace(/^HEALTHCHECK\s.*?\bCMD\s+/i, ""),
  ) as string[];
  const runHealthcheck = (env: Record<string, string>) => {
    const inherited = { ...process.env };
    delete inherited.LOAD_BALANCER_PORT;
    delete inherited.SWITCHYARD_PORT;
    return new Promise<number>((resolve) => {
      execFile(
        healthcheckCommand[0] === "node" ? process.execPath : healthcheckCommand[0]!,
        healthcheckCommand.slice(1),
        {
          env: { ...inherited, ...env },
          timeout: 10_000,
        },
        (error) => resolve(error ? Number(error.code ?? 1) : 0),
      );
    });
  };

  it("health-checks the port the gateway was given through the environment", async () => {
    const server = createHttpServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = String((closed.address() as AddressInfo).port);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const port = String((server.address() as AddressInfo).port);
      expect(await runHealthcheck({ SWITCHYARD_PORT: port })).toBe(0);
      expect(await runHealthcheck({ LOAD_BALANCER_PORT: port, SWITCHYARD_PORT: closedPort })).toBe(0);
      // LOAD_BALANCER_PORT comes first for the gateway, so for its check too.
      expect(await runHealthcheck({ LOAD_BALANCER_PORT: closedPort, SWITCHYARD_PORT: port })).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("starts the CLI's gateway", () => {
    const entrypoint = lastStage.find((line) => /^ENTRYPOINT\s/i.test(line));
    expect(JSON.parse(entrypoint!.replace(/^ENTRYPOINT\s+/i, ""))).toEqual(["node", "dist/src/cli/index.js"]);
    const cmd = lastStage.find((line) => /^CMD\s/i.test(line));
    // No --port: it would beat SWITCHYARD_PORT, and the health check follows the variable.
    expect(JSON.parse(cmd!.replace(/^CMD\s+/i, ""))).toEqual(["gateway", "--host", "0.0.0.0"]);
    expect(existsSync(join(root, "src", "cli", "index.ts"))).toBe(true);
  });

  it("copies everything the build compiles, including what src/ and bench/ import from test/", () => {
    const copied = instructions
      .filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    for (const path of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "src",
      "bench",
    ]) {
      expect(copied).toContain(path);
    }
    for (const path of copied) expect(existsSync(join(root, path)), path).toBe(true);
    // A build-stage file outside src/ and bench/ that the build imports must be copied too.
    const imported = new Set<string>();
    for (const dir of ["src", "bench"]) {
      for (const file of readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts")) continue;
        const text = readFileSync(join(root, dir, file), "utf8");
        for (const match of text.matchAll(/from\s+"((?:\.\.\/)+test\/[^"]+)"/g)) {
          const target = join(dir, file, "..", match[1]!);
          imported.add(target.split("/").slice(0, 2).join("/"));
        }
      }
    }
    for (const dir of imported) {
      expect(
        copied.some((path) => dir === path || dir.startsWith(`${path}/`)),
        `${dir} is imported by the build`,
      ).toBe(true);
    }
  });
});
