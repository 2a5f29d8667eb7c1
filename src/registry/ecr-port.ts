/**
 * The registry's side of the ECR port (src/services/ecr/ports.ts): the registry operations and
 * rules the ECR API is built on, over the same metadata, blob uploads and tokens as /v2/.
 */
import { Readable } from "node:stream";
import type { RegistryPort } from "../services/ecr/ports.ts";
import { TOKEN_TTL_MS } from "./auth.ts";
import { RegistryError } from "./errcodes.ts";
import { digestOf, pushManifest, removeManifest, resolveManifest } from "./images.ts";
import { TAG_RE } from "./manifest.ts";
import type { Registry } from "./registry.ts";
import { NAME_RE } from "./routes.ts";
import { DIGEST_RE } from "./storage/paths.ts";
import { tagIsMutable } from "./tag-mutability.ts";

export function ecrRegistryPort(registry: Registry): RegistryPort {
  const { meta, uploads, auth } = registry;
  return {
    createRepository: (scope, name, doc) => meta.createRepository(scope, name, doc),
    getRepository: (scope, name) => meta.getRepository(scope, name),
    listRepositories: (scope) => meta.listRepositories(scope),
    allRepositories: () => meta.allRepositories(),
    updateRepositoryDoc: (scope, name, doc) => void meta.updateRepositoryDoc(scope, name, doc),
    deleteRepository: (scope, name, force) => meta.deleteRepository(scope, name, { force }),

    listImages: (scope, repo) => meta.listImages(scope, repo),
    getManifest: (scope, repo, digest) => meta.getManifest(scope, repo, digest),
    resolveTag: (scope, repo, tag) => meta.resolveTag(scope, repo, tag),
    resolveManifest: (scope, repo, reference) => resolveManifest(meta, scope, repo, reference),
    pushManifest: (scope, repo, m) => pushManifest(meta, scope, repo, m),
    deleteManifest: (scope, repo, reference) => removeManifest(meta, scope, repo, reference),

    linkedBlob: (scope, repo, digest) => meta.linkedBlob(scope, repo, digest),
    startUpload: async (scope, repo) => ({ uploadId: (await uploads.start(scope, repo)).uuid }),
    appendUpload: async (scope, repo, uploadId, part, range) => ({ size: (await uploads.append(scope, repo, uploadId, Readable.from([Buffer.from(part)]), range)).size }),
    completeUpload: async (scope, repo, uploadId, digest) => ({ digest: (await uploads.commit(scope, repo, uploadId, digest)).digest }),

    issueAuthorizationToken: (scope, now, accessKeyId, notAfter) => {
      const expiresAt = Math.min(now + TOKEN_TTL_MS, notAfter ?? Number.POSITIVE_INFINITY);
      return { authorizationToken: auth.issueAuthorizationToken({ accountId: scope.accountId, region: scope.region, expiresAt, accessKeyId }), expiresAt };
    },

    isRepositoryName: (name) => NAME_RE.test(name),
    isTag: (tag) => TAG_RE.test(tag),
    isDigest: (digest) => DIGEST_RE.test(digest),
    digestOf,
    tagIsMutable,
    rejection: (err) => {
      if (!(err instanceof RegistryError)) return undefined;
      const missing = (err.detail as { missing?: unknown } | undefined)?.missing;
      return { code: err.code, message: err.message, ...(Array.isArray(missing) ? { missing: missing.map(String) } : {}) };
    },
  };
}
