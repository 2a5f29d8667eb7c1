/**
 * The console's terminal: xterm.js on the ECS Exec stream (a WebSocket, see src/exec/websocket.ts).
 * Loaded only when a shell is opened, so the first view does not carry xterm.js.
 */
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";

export interface TerminalHandle {
  dispose(): void;
}

export interface ExecSession {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

export function openTerminal(el: HTMLElement, session: ExecSession, opts: { onExit(code: number | null, message?: string): void }): TerminalHandle {
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    fontSize: 13,
    scrollback: 5000,
    screenReaderMode: false,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  // The stream URL names 127.0.0.1; connect through whichever loopback name this page uses.
  const path = new URL(session.streamUrl).pathname;
  const q = new URLSearchParams({ token: session.tokenValue, cols: String(term.cols), rows: String(term.rows) });
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}?${q}`);
  ws.binaryType = "arraybuffer";
  const encoder = new TextEncoder();
  let ended = false;
  const end = (code: number | null, message?: string) => {
    if (ended) return;
    ended = true;
    opts.onExit(code, message);
  };
  ws.addEventListener("message", (ev) => {
    if (typeof ev.data === "string") {
      const msg = JSON.parse(ev.data) as { type: string; exitCode?: number | null; message?: string };
      if (msg.type === "exit") {
        term.write(`\r\n[process exited with code ${msg.exitCode ?? "unknown"}]\r\n`);
        end(msg.exitCode ?? null);
      } else if (msg.type === "error") {
        term.write(`\r\n\x1b[31m${msg.message ?? "error"}\x1b[0m\r\n`);
        end(null, `The shell could not start: ${msg.message ?? "error"}`);
      }
      return;
    }
    term.write(new Uint8Array(ev.data as ArrayBuffer));
  });
  ws.addEventListener("close", () => end(null, "The connection to the shell closed."));
  const input = term.onData((d) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(d));
  });
  const resize = term.onResize(({ cols, rows }) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resize", cols, rows }));
  });
  const observer = new ResizeObserver(() => {
    try {
      fit.fit();
    } catch {
      // Hidden: nothing to fit.
    }
  });
  observer.observe(el);
  term.focus();
  return {
    dispose() {
      observer.disconnect();
      input.dispose();
      resize.dispose();
      ended = true;
      ws.close();
      term.dispose();
    },
  };
}
