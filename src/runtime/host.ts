/**
 * The Docker host as ECS's one container instance per cluster sees it: its name, CPU units (1024
 * per core), memory and engine version. Known from the OS at once, then from the engine once it
 * answers; an engine that does not answer is logged once (tasks cannot start).
 */
import { cpus, hostname, totalmem } from "node:os";
import type { ContainerRuntime } from "./runtime.ts";

export interface HostDescription {
  readonly name: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly dockerVersion: string;
  readonly architecture: string;
}

export class Host {
  #current: HostDescription = {
    name: hostname(),
    cpu: cpus().length * 1024,
    memoryMiB: Math.floor(totalmem() / 1024 / 1024),
    dockerVersion: "unknown",
    architecture: process.arch === "arm64" ? "aarch64" : "x86_64",
  };
  /** Settles once the engine answered (or failed to). */
  readonly ready: Promise<void>;

  constructor(runtime: ContainerRuntime, log: (msg: string) => void) {
    this.ready = runtime.info().then(
      (info) => {
        this.#current = {
          name: info.name,
          cpu: info.cpus * 1024,
          memoryMiB: Math.floor(info.memoryBytes / 1024 / 1024),
          dockerVersion: info.serverVersion,
          architecture: info.architecture,
        };
      },
      (err: unknown) => log(`warning: container runtime not reachable (${(err as Error).message}); tasks cannot start`),
    );
  }

  describe(): HostDescription {
    return this.#current;
  }
}
