import type { JSX } from "preact";
import { useTitle } from "../hooks.ts";
import { Link } from "../router.tsx";

export function NotFound(props: { what?: string }): JSX.Element {
  useTitle("Not found");
  return (
    <div class="not-found">
      <h1>Not found</h1>
      <p>{props.what ?? "There is nothing at this address: the task, service or page does not exist (or is not visible to you)."}</p>
      <p>
        <Link to="">Back to the overview</Link>
      </p>
    </div>
  );
}
