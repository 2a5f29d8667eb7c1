/** Path routing under /_slipway/console/ with the History API; links work with and without JS. */
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { BASE } from "./api.ts";

const listeners = new Set<() => void>();

/** The path below BASE, without leading slash ("" for the overview). */
export function currentPath(): string {
  const p = location.pathname;
  return p.startsWith(BASE) ? p.slice(BASE.length) : "";
}

export function navigate(path: string): void {
  history.pushState(null, "", BASE + path);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return path;
}

/** Path segments for links: each part is URI-encoded. */
export function route(...parts: string[]): string {
  return parts.map(encodeURIComponent).join("/");
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; "aria-label"?: string; "aria-current"?: "page" }): JSX.Element {
  const { to, children, ...rest } = props;
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={BASE + to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
