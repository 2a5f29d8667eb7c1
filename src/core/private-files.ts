/**
 * Slipway's data directory holds credentials, the database and image layers, so nothing in it is
 * readable by other local users: directories are made 0700 and files 0600 from the start (explicit
 * modes, whatever the umask), and a data directory left more open by an older Slipway is tightened
 * once, file by file, when it is opened.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Creates `dir` (and missing parents) owner-only; an existing one is left as it is. */
export function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
}

/** Creates `file` empty and owner-only if it is absent, and makes it owner-only if it exists. */
export function touchPrivate(file: string): void {
  closeSync(openSync(file, "a", PRIVATE_FILE));
  restrict(file, PRIVATE_FILE);
}

/**
 * The data directory, owner-only. When it exists with any access for group or others (made by an
 * older Slipway, or by hand), everything under it is tightened too: directories 0700, files 0600.
 * Symbolic links are neither followed nor changed.
 */
export function openDataDir(dir: string): { tightened: number } {
  mkdirPrivate(dir);
  if ((statSync(dir).mode & 0o077) === 0) return { tightened: 0 };
  let tightened = 0;
  const visit = (path: string, isDir: boolean): void => {
    if (restrict(path, isDir ? PRIVATE_DIR : PRIVATE_FILE)) tightened++;
    if (!isDir) return;
    for (const e of readdirSync(path, { withFileTypes: true })) {
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) visit(join(path, e.name), true);
      else if (e.isFile()) visit(join(path, e.name), false);
    }
  };
  visit(dir, true);
  return { tightened };
}

/** Removes group and other access from `path`; true when its mode changed. */
function restrict(path: string, mode: number): boolean {
  const st = lstatSync(path);
  if (st.isSymbolicLink() || (st.mode & 0o777 & ~mode) === 0) return false;
  chmodSync(path, st.mode & 0o777 & mode);
  return true;
}
