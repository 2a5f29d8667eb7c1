import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { ApiError, call, callAll } from "../api.ts";
import { useLive, useTitle } from "../hooks.ts";
import { Link, route } from "../router.tsx";
import { Badge, bytes, Empty, ErrorBox, Loading, Section, Time } from "../ui.tsx";

interface Repository {
  repositoryName: string;
  repositoryArn: string;
  repositoryUri: string;
  createdAt?: string;
  imageTagMutability?: string;
  imageScanningConfiguration?: { scanOnPush?: boolean };
}

interface Image {
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes?: number;
  imagePushedAt?: string;
  lastRecordedPullTime?: string;
  imageScanStatus?: { status?: string; description?: string };
  imageManifestMediaType?: string;
}

interface PreviewResult {
  imageTags?: string[];
  imageDigest?: string;
  imagePushedAt?: string;
  action?: { type?: string };
  appliedRulePriority?: number;
}

const ecrKey = (k: string) => k.startsWith("registry:") || (k.startsWith("api:") && k.includes(":ecr:"));

function Repositories(): JSX.Element {
  const repos = useLive(() => callAll<Repository>("ecr", "DescribeRepositories", {}, "repositories"), ecrKey, []);
  return (
    <Section title="Repositories">
      <ErrorBox error={repos.error} />
      {repos.loading && !repos.data ? <Loading /> : null}
      {repos.data && repos.data.length === 0 ? <Empty>No repositories. Create one with <code>aws ecr create-repository</code>, then <code>docker push</code> to it.</Empty> : null}
      {repos.data?.length ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">URI</th>
                <th scope="col">Tags</th>
                <th scope="col">Scan on push</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {repos.data.map((r) => (
                <tr key={r.repositoryArn}>
                  <th scope="row">
                    <Link to={route("ecr", r.repositoryName)}>{r.repositoryName}</Link>
                  </th>
                  <td class="wrap">
                    <code>{r.repositoryUri}</code>
                  </td>
                  <td>{r.imageTagMutability ?? "—"}</td>
                  <td>{r.imageScanningConfiguration?.scanOnPush ? "yes" : "no"}</td>
                  <td>
                    <Time at={r.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}

function Lifecycle(props: { repository: string }): JSX.Element {
  const policy = useLive(
    async () => {
      try {
        const r = await call("ecr", "GetLifecyclePolicy", { repositoryName: props.repository });
        return JSON.stringify(JSON.parse(r.lifecyclePolicyText as string), null, 2);
      } catch (e) {
        if (e instanceof ApiError && e.code === "LifecyclePolicyNotFoundException") return undefined;
        throw e;
      }
    },
    ecrKey,
    [props.repository],
  );
  const [preview, setPreview] = useState<PreviewResult[] | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const run = async () => {
    setError(undefined);
    try {
      await call("ecr", "StartLifecyclePolicyPreview", { repositoryName: props.repository });
      const r = await callAll<PreviewResult>("ecr", "GetLifecyclePolicyPreview", { repositoryName: props.repository }, "previewResults");
      setPreview(r);
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <Section title="Lifecycle policy">
      <ErrorBox error={policy.error ?? error} />
      {policy.loading && policy.data === undefined && !policy.error ? <Loading /> : null}
      {!policy.loading && policy.data === undefined && !policy.error ? <Empty>No lifecycle policy: images are kept until deleted.</Empty> : null}
      {policy.data ? (
        <>
          <pre class="json" tabIndex={0} aria-label="Lifecycle policy">
            {policy.data}
          </pre>
          <p>
            <button type="button" onClick={() => void run()}>
              Preview what it would expire
            </button>
          </p>
        </>
      ) : null}
      {preview ? (
        preview.length === 0 ? (
          <Empty>The policy would expire no image now.</Empty>
        ) : (
          <ul class="plain">
            {preview.map((p) => (
              <li key={p.imageDigest}>
                <code>{p.imageDigest?.slice(0, 19)}</code> {p.imageTags?.join(", ") || "(untagged)"}: {p.action?.type ?? "EXPIRE"} by rule {p.appliedRulePriority}
              </li>
            ))}
          </ul>
        )
      ) : null}
    </Section>
  );
}

function Repository(props: { repository: string }): JSX.Element {
  const images = useLive(
    async () => (await callAll<Image>("ecr", "DescribeImages", { repositoryName: props.repository }, "imageDetails")).sort((a, b) => (b.imagePushedAt ?? "").localeCompare(a.imagePushedAt ?? "")),
    ecrKey,
    [props.repository],
  );
  return (
    <>
      <Section title="Images">
        <ErrorBox error={images.error} />
        {images.loading && !images.data ? <Loading /> : null}
        {images.data && images.data.length === 0 ? <Empty>No images yet.</Empty> : null}
        {images.data?.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Tags</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Size</th>
                  <th scope="col">Pushed</th>
                  <th scope="col">Last pulled</th>
                  <th scope="col">Scan</th>
                </tr>
              </thead>
              <tbody>
                {images.data.map((i) => (
                  <tr key={i.imageDigest}>
                    <th scope="row">{i.imageTags?.join(", ") || <span class="muted">untagged</span>}</th>
                    <td>
                      <code title={i.imageDigest}>{i.imageDigest.slice(0, 19)}…</code>
                    </td>
                    <td class="num">{bytes(i.imageSizeInBytes)}</td>
                    <td>
                      <Time at={i.imagePushedAt} />
                    </td>
                    <td>
                      <Time at={i.lastRecordedPullTime} />
                    </td>
                    <td>{i.imageScanStatus?.status ? <Badge status={i.imageScanStatus.status} /> : <span class="muted">not scanned</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
      <Lifecycle repository={props.repository} />
    </>
  );
}

export function EcrView(props: { repository?: string }): JSX.Element {
  useTitle(props.repository ? `ECR ${props.repository}` : "ECR");
  return (
    <>
      <h1>{props.repository ? `ECR: ${props.repository}` : "ECR"}</h1>
      {props.repository ? (
        <>
          <p class="crumbs">
            <Link to="ecr">All repositories</Link>
          </p>
          <Repository repository={props.repository} />
        </>
      ) : (
        <Repositories />
      )}
    </>
  );
}
