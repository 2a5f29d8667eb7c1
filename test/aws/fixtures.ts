/** Shared fixtures for the wire-layer tests: static credentials and deterministic ids. */
export const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" };
export const region = "eu-west-1";
export const endpoint = "http://127.0.0.1:1";

/** Deterministic request ids: req-0001, req-0002, … */
export function sequentialIds(prefix = "req"): { uuid(): string } {
  let n = 0;
  return { uuid: () => `${prefix}-${String(++n).padStart(4, "0")}` };
}

/** A logger that records instead of printing (tests assert on it). */
export function recordingLogger(): { errors: Array<{ message: string; details: Record<string, unknown> }>; error(m: string, d: Record<string, unknown>): void } {
  const errors: Array<{ message: string; details: Record<string, unknown> }> = [];
  return { errors, error: (message, details) => errors.push({ message, details }) };
}
