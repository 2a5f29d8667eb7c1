/**
 * The API-activity feed: the last calls the gateway answered (its `observe` seam), kept in a ring
 * for consoles that open later, and handed to listeners as they happen. The console's own reads
 * are left out (each open console re-reads on every change; they would drown everything else);
 * its actions (UpdateService, StopTask, ExecuteCommand) are kept and marked as the console's.
 */
import type { ObservedCall } from "../aws/gateway.ts";
import { CONSOLE_USER_AGENT } from "./aws.ts";

export interface ActivityEntry {
  readonly seq: number;
  readonly at: number;
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  /** The access key id that signed the call, when it was signed. */
  readonly caller: string | undefined;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly latencyMs: number;
  /** The calling tool, from its User-Agent: "aws-cli/1.36.2", "Terraform/1.9.0", … */
  readonly tool: string | undefined;
  /** Made by the Slipway console. */
  readonly console: boolean;
}

const READ_ONLY = /^(Describe|List|Get|BatchGet|Filter|Lookup|Search|Validate)/;

/** The first product/version token that names a tool ("aws-cli/1.36.2 Python/…" → "aws-cli/1.36.2"). */
export function toolOf(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  if (userAgent.includes(CONSOLE_USER_AGENT)) return CONSOLE_USER_AGENT;
  const terraform = /\bTerraform\/[\w.-]+/.exec(userAgent);
  if (terraform) return terraform[0];
  const first = /^[\w.-]+\/[\w.-]+/.exec(userAgent.trim());
  return first ? first[0] : userAgent.slice(0, 40);
}

/** toolOf for the last User-Agent seen: a client sends the same one on every call. */
let lastAgent: string | undefined;
let lastTool: string | undefined;
function toolOfCached(userAgent: string | undefined): string | undefined {
  if (userAgent !== lastAgent) {
    lastAgent = userAgent;
    lastTool = toolOf(userAgent);
  }
  return lastTool;
}

export class Activity {
  /** A ring buffer: #ring[#next] is the oldest entry once it is full. */
  readonly #ring: ActivityEntry[] = [];
  #next = 0;
  readonly #capacity: number;
  readonly #listeners = new Set<(e: ActivityEntry) => void>();
  #seq = 0;

  constructor(capacity = 500) {
    this.#capacity = capacity;
  }

  record(call: ObservedCall): void {
    const fromConsole = (call.userAgent ?? "").includes(CONSOLE_USER_AGENT);
    if (fromConsole && READ_ONLY.test(call.operation)) return;
    const entry: ActivityEntry = {
      seq: ++this.#seq,
      at: call.at,
      service: call.service,
      operation: call.operation,
      accountId: call.accountId,
      region: call.region,
      caller: call.accessKeyId,
      status: call.status,
      errorCode: call.errorCode,
      latencyMs: call.latencyMs,
      tool: toolOfCached(call.userAgent),
      console: fromConsole,
    };
    if (this.#ring.length < this.#capacity) this.#ring.push(entry);
    else {
      this.#ring[this.#next] = entry;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    for (const l of this.#listeners) l(entry);
  }

  /** Recent entries of one account and region, oldest first. */
  recent(accountId: string, region: string): ActivityEntry[] {
    const inOrder = this.#ring.length < this.#capacity ? this.#ring : [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return inOrder.filter((e) => e.accountId === accountId && e.region === region);
  }

  onEntry(listener: (e: ActivityEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** True for a call that may have changed something (the console's views re-read on it). */
export function mayChangeState(e: ActivityEntry): boolean {
  return e.status < 400 && !READ_ONLY.test(e.operation);
}
