/**
 * The fake runtime's stand-in for a process started with exec: a few shell builtins, enough for
 * the runtime contract and the console's tests to behave as they do on Docker with busybox sh.
 * Supported: `sh` (interactive, reading stdin), `sh -c 'script'`, and the commands echo (with
 * `>&2`), exit [n], true, false, cat, stty size. Anything else is "not found" (127). With a TTY
 * the input is echoed, a prompt is printed and "\n" goes out as "\r\n", as a terminal does.
 */
import { Channel } from "../core/channel.ts";
import { shellWords as words } from "../core/shell-words.ts";
import type { ExecOptions, ExecOutput, ExecProcess, TerminalSize } from "./runtime.ts";

const SHELLS = new Set(["sh", "ash", "bash"]);
const PROMPT = "/ # ";

export function startFakeProcess(opts: ExecOptions): ExecProcess {
  const tty = opts.tty ?? false;
  let size: TerminalSize = opts.size ?? { cols: 80, rows: 24 };
  const output = new Channel<ExecOutput>();
  const input = new Channel<string>();
  let done = false;
  let resolveExit!: (code: number | null) => void;
  const exitCode = new Promise<number | null>((resolve) => (resolveExit = resolve));
  const enc = new TextEncoder();
  const emit = (stream: "stdout" | "stderr", text: string) => {
    if (done || !text) return;
    output.push({ stream: tty ? "stdout" : stream, data: enc.encode(tty ? text.replace(/\r?\n/g, "\r\n") : text) });
  };
  const finish = (code: number | null) => {
    if (done) return;
    done = true;
    output.close();
    input.close();
    resolveExit(code);
  };

  /** Runs one command; returns its status, or { exit } when the shell must end. */
  const run = async (argv: string[]): Promise<number | { exit: number }> => {
    const [name, ...args] = argv;
    if (name === undefined) return 0;
    let toStderr = false;
    const rest = args.filter((a) => {
      if (a === ">&2" || a === "1>&2") toStderr = true;
      return a !== ">&2" && a !== "1>&2";
    });
    switch (name) {
      case "echo":
        emit(toStderr ? "stderr" : "stdout", `${rest.join(" ")}\n`);
        return 0;
      case "exit":
        return { exit: Number(rest[0] ?? 0) & 255 };
      case "true":
        return 0;
      case "false":
        return 1;
      case "stty":
        if (rest[0] === "size") {
          emit("stdout", `${size.rows} ${size.cols}\n`);
          return 0;
        }
        emit("stderr", `stty: unsupported by the fake runtime: ${rest.join(" ")}\n`);
        return 1;
      case "cat":
        for await (const chunk of input) emit("stdout", chunk);
        return 0;
      default:
        emit("stderr", `sh: ${name}: not found\n`);
        return 127;
    }
  };

  /** Runs a script (commands separated by ";" or newlines); returns the exit status. */
  const script = async (text: string, last = 0): Promise<{ status: number; exited: boolean }> => {
    let status = last;
    for (const part of text.split(/[;\n]/)) {
      const r = await run(words(part.trim()));
      if (typeof r === "object") return { status: r.exit, exited: true };
      status = r;
    }
    return { status, exited: false };
  };

  void (async () => {
    const [cmd, flag, arg] = opts.cmd;
    const isShell = cmd !== undefined && SHELLS.has(cmd.split("/").pop() ?? "");
    if (isShell && flag === "-c") {
      finish((await script(arg ?? "")).status);
      return;
    }
    if (!isShell) {
      if (cmd === undefined || !["echo", "exit", "true", "false", "cat", "stty"].includes(cmd.split("/").pop()!)) {
        emit("stdout", `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd ?? ""}": executable file not found in $PATH: unknown\n`);
        finish(126);
        return;
      }
      const r = await run([cmd.split("/").pop()!, ...opts.cmd.slice(1)]);
      finish(typeof r === "object" ? r.exit : r);
      return;
    }
    // An interactive shell: one command line per input line, until exit or end of input.
    if (tty) emit("stdout", PROMPT);
    let pending = "";
    let status = 0;
    for await (const chunk of input) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.search(/[\r\n]/)) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (tty) emit("stdout", `${line}\n`);
        const r = await script(line, status);
        if (r.exited) return finish(r.status);
        status = r.status;
        if (tty) emit("stdout", PROMPT);
      }
    }
    finish(done ? null : status);
  })();

  return {
    output,
    write: (data) => {
      if (!done && opts.stdin) input.push(typeof data === "string" ? data : new TextDecoder().decode(data));
    },
    end: () => input.close(),
    resize: async (next) => {
      size = { ...next };
    },
    exitCode,
    close: () => finish(null),
  };
}
