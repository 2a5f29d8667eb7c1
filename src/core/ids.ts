import { createHash, randomBytes, randomUUID } from "node:crypto";

/** Identifier generation is injected so that tests can be deterministic. */
export interface IdGen {
  uuid(): string;
  /** `n` random bytes as lowercase hex (task ids are hex(16), ALB ids hex(8)). */
  hex(bytes: number): string;
  /** A decimal string of `digits` digits (ECS deployment ids: ecs-svc/<19 digits>). */
  digits(digits: number): string;
}

export const randomIds: IdGen = {
  uuid: () => randomUUID(),
  hex: (bytes) => randomBytes(bytes).toString("hex"),
  digits: (digits) => {
    let out = String(1 + (randomBytes(1)[0]! % 9));
    while (out.length < digits) out += String(randomBytes(1)[0]! % 10);
    return out;
  },
};

/** Deterministic ids for tests: a counter hashed with a seed. */
export function seededIds(seed = "slipway"): IdGen {
  let n = 0;
  const next = (): Buffer => createHash("sha256").update(`${seed}:${n++}`).digest();
  return {
    uuid: () => {
      const h = next().toString("hex");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    hex: (bytes) => {
      let out = "";
      while (out.length < bytes * 2) out += next().toString("hex");
      return out.slice(0, bytes * 2);
    },
    digits: (digits) => {
      let out = "";
      while (out.length < digits) out += BigInt("0x" + next().toString("hex")).toString();
      return ("1" + out).slice(0, digits);
    },
  };
}
