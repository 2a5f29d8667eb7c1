/**
 * The Fargate task sizes (the valid cpu and memory pairs listed in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html)
 * and the cpu/memory string normalisation ECS applies on
 * RegisterTaskDefinition ("1 vCPU" → "1024", "1GB" → "1024").
 */

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** cpu units → valid memory values (MiB). */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export function isValidFargateSize(cpu: number, memoryMiB: number): boolean {
  return FARGATE_SIZES.get(cpu)?.includes(memoryMiB) ?? false;
}

/**
 * Task-level cpu: a number of units ("256", 256) or vCPUs ("1 vCPU", "0.25 vcpu").
 * Returns the unit count as an integer, or undefined when the text is not understood.
 */
export function parseCpuUnits(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpus?)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const units = m[2] ? n * 1024 : n;
  return Number.isInteger(units) ? units : undefined;
}

/**
 * Task-level memory: MiB ("512", 512, "512 MiB", "512MB") or GiB ("1GB", "0.5 GB", "2 GiB").
 * Returns MiB as an integer, or undefined when the text is not understood.
 */
export function parseMemoryMiB(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb|gib|mb|mib)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  const mib = unit === "gb" || unit === "gib" ? n * 1024 : n;
  return Number.isInteger(mib) ? mib : undefined;
}
