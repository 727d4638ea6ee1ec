// Starts a real `pantheon dev` for the integration tests.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (sdk/js/dist/test -> ../../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** A running pantheon dev. */
export interface DevServer {
  lobbyUrl: string;
  wsUrl: string;
  adminUrl: string;
  fleetSecret: string;
  dir: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * pantheonBinary returns the pantheon binary: $PANTHEON_BIN when set (the Go
 * test that runs npm test builds it once), else one built with `go build`
 * into dir. It returns a skip reason when neither is possible.
 */
export function pantheonBinary(dir: string): { bin?: string; skip?: string } {
  const env = process.env.PANTHEON_BIN;
  if (env) return { bin: env };
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) return { skip: "go is not installed: cannot build pantheon for the integration test (set PANTHEON_BIN to a built binary)" };
  const bin = path.join(dir, "pantheon");
  const b = spawnSync("go", ["build", "-o", bin, "."], { cwd: repoRoot, encoding: "utf8", timeout: 600_000 });
  if (b.status !== 0) throw new Error("go build failed: " + b.stderr + (b.error?.message ?? ""));
  return { bin };
}

/** startDev starts `pantheon dev` on free loopback ports with an embedded database in a temporary directory. */
export async function startDev(bin: string, dir: string, extra: string[] = []): Promise<DevServer> {
  fs.mkdirSync(dir, { recursive: true });
  const args = [
    "dev", "--bots", "0",
    "--lobby", "127.0.0.1:0", "--lobby-admin", "", "--kcp", "127.0.0.1:0", "--ws", "127.0.0.1:0", "--admin", "127.0.0.1:0",
    "--db", "sqlite:" + path.join(dir, "dev.db"), "--outbox", path.join(dir, "outbox"), ...extra,
  ];
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (b) => (out += b));
  child.stderr!.on("data", (b) => (out += b));
  let exited = false;
  const exit = new Promise<void>((r) => child.on("exit", () => ((exited = true), r())));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (out.includes("serving; press Ctrl-C")) break;
    if (exited) throw new Error("pantheon dev exited:\n" + out);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("pantheon dev did not start within 60 s:\n" + out);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = (re: RegExp) => {
    const x = re.exec(out);
    if (!x) throw new Error(`pantheon dev banner lacks ${re}:\n${out}`);
    return x[1];
  };
  return {
    lobbyUrl: m(/^ {2}lobby +(http:\/\/\S+)/m),
    wsUrl: m(/^ {2}room server .* ws (ws:\/\/\S+)/m),
    adminUrl: m(/^ {2}room admin +(http:\/\/\S+)/m),
    fleetSecret: m(/^ {2}fleet secret ([0-9a-f]+)/m),
    dir,
    log: () => out,
    async stop() {
      if (exited) return;
      child.kill("SIGINT");
      const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** tempDir makes a temporary directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
