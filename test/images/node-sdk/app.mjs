// An unmodified AWS SDK application, as it would run on ECS: no endpoint, region or credentials
// in the code. The default provider chain finds the task role's credentials through
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, the clients find their endpoint in AWS_ENDPOINT_URL,
// and the task id comes from the task metadata endpoint. It prints one JSON line (values are
// reported as SHA-256 digests, never in the clear), then stays up.
import { createHash } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const digest = (v) => (v === undefined ? null : createHash("sha256").update(v).digest("hex"));
const out = { env: {}, errors: [] };
for (const name of (process.env.REPORT_ENV ?? "").split(",").filter(Boolean)) out.env[name] = digest(process.env[name]);
try {
  out.identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  delete out.identity.$metadata;
} catch (err) {
  out.errors.push(`sts: ${err.name}: ${err.message}`);
}
if (process.env.SECRET_ID) {
  try {
    const s = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ID }));
    out.secret = digest(s.SecretString);
  } catch (err) {
    out.errors.push(`secretsmanager: ${err.name}: ${err.message}`);
  }
}
// PARAMETER_NAMES: Parameter Store names read with GetParameter (digests, or the error per name).
for (const name of (process.env.PARAMETER_NAMES ?? "").split(",").filter(Boolean)) {
  out.parameters ??= {};
  try {
    const p = await new SSMClient({}).send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    out.parameters[name] = digest(p.Parameter.Value);
  } catch (err) {
    out.errors.push(`ssm ${name}: ${err.name}: ${err.message}`);
  }
}
try {
  const task = await (await fetch(`${process.env.ECS_CONTAINER_METADATA_URI_V4}/task`)).json();
  out.taskArn = task.TaskARN;
  out.containerId = (await (await fetch(process.env.ECS_CONTAINER_METADATA_URI_V4)).json()).DockerId;
} catch (err) {
  out.errors.push(`metadata: ${err.message}`);
}
console.log(`SLIPWAY-APP ${JSON.stringify(out)}`);
setInterval(() => {}, 1 << 30);
