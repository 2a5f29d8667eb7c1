import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { login, type SessionInfo } from "../api.ts";
import { useTitle } from "../hooks.ts";
import { ErrorBox } from "../ui.tsx";

/** Strict auth: the console needs an access key; it is sent once and kept only in Slipway's memory. */
export function Login(props: { strict: boolean; onSignedIn: (s: SessionInfo) => void }): JSX.Element {
  useTitle("Sign in");
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const s = await login(String(form.get("akid") ?? ""), String(form.get("secret") ?? ""), String(form.get("token") ?? ""), String(form.get("region") ?? ""));
      (e.currentTarget as HTMLFormElement | null)?.reset();
      props.onSignedIn(s);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>Sign in to the Slipway console</h1>
      <p>
        This Slipway checks request signatures (strict auth). Sign in with an access key it knows; every action then runs as that identity, as
        the AWS CLI would. The secret is kept in Slipway's memory for this session only: never on disk, never in this browser.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="akid">Access key ID</label>
        <input id="akid" name="akid" autocomplete="username" required spellcheck={false} />
        <label for="secret">Secret access key</label>
        <input id="secret" name="secret" type="password" autocomplete="current-password" required />
        <label for="token">Session token (optional)</label>
        <input id="token" name="token" type="password" autocomplete="off" />
        <label for="region">Region (optional)</label>
        <input id="region" name="region" placeholder="us-east-1" spellcheck={false} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorBox error={error} what="Sign-in failed" />
    </main>
  );
}
