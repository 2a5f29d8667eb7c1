import type { Migration } from "./migrate.ts";

/**
 * Every table is scoped by account and region. Resources are stored as the
 * JSON document their Describe call returns (`doc`), plus the columns queries filter on, so that
 * Describe gives back exactly what was created. Append new migrations; never edit a shipped one.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "ecs",
    sql: `
CREATE TABLE ecs_clusters (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, status TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE ecs_task_definitions (
  account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL, revision INTEGER NOT NULL,
  arn TEXT NOT NULL UNIQUE, status TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, family, revision)
);
CREATE TABLE ecs_families (
  account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL, last_revision INTEGER NOT NULL,
  PRIMARY KEY (account, region, family)
);
CREATE TABLE ecs_services (
  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL, name TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, status TEXT NOT NULL, created_at REAL NOT NULL, doc TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (account, region, cluster, name)
);
CREATE TABLE ecs_tasks (
  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL, id TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, service TEXT, deployment TEXT, family TEXT NOT NULL,
  started_by TEXT, launch_type TEXT, container_instance TEXT,
  desired_status TEXT NOT NULL, last_status TEXT NOT NULL, created_at REAL NOT NULL, stopped_at REAL,
  doc TEXT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (account, region, cluster, id)
);
CREATE INDEX ecs_tasks_service ON ecs_tasks (account, region, cluster, service);
CREATE INDEX ecs_tasks_active ON ecs_tasks (last_status);
CREATE TABLE ecs_container_instances (
  account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL, id TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, cluster, id)
);
CREATE TABLE ecs_account_settings (
  account TEXT NOT NULL, region TEXT NOT NULL, principal TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (account, region, principal, name)
);
CREATE TABLE tags (
  arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, position INTEGER NOT NULL,
  PRIMARY KEY (arn, key)
);
`,
  },
  {
    version: 2,
    name: "registry",
    // OCI registry metadata (src/registry/meta.ts). Blob bytes are files (src/registry/storage/paths.ts);
    // manifests are stored here byte-exact. registry_blobs is global (content-addressed); every other
    // table is scoped by (account, region, repository).
    sql: `
CREATE TABLE registry_repositories (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  created_at REAL NOT NULL, doc TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (account, region, name)
);
CREATE TABLE registry_blobs (
  digest TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE registry_repo_blobs (
  account TEXT NOT NULL, region TEXT NOT NULL, repo TEXT NOT NULL, digest TEXT NOT NULL,
  linked_at REAL NOT NULL,
  PRIMARY KEY (account, region, repo, digest),
  FOREIGN KEY (account, region, repo) REFERENCES registry_repositories (account, region, name) ON DELETE CASCADE
);
CREATE INDEX registry_repo_blobs_digest ON registry_repo_blobs (digest);
CREATE TABLE registry_manifests (
  account TEXT NOT NULL, region TEXT NOT NULL, repo TEXT NOT NULL, digest TEXT NOT NULL,
  media_type TEXT NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL, pushed_at REAL NOT NULL,
  config_digest TEXT, subject_digest TEXT, artifact_type TEXT, image_size INTEGER NOT NULL,
  PRIMARY KEY (account, region, repo, digest),
  FOREIGN KEY (account, region, repo) REFERENCES registry_repositories (account, region, name) ON DELETE CASCADE
);
CREATE INDEX registry_manifests_subject ON registry_manifests (account, region, repo, subject_digest);
CREATE TABLE registry_tags (
  account TEXT NOT NULL, region TEXT NOT NULL, repo TEXT NOT NULL, tag TEXT NOT NULL,
  digest TEXT NOT NULL, updated_at REAL NOT NULL,
  PRIMARY KEY (account, region, repo, tag),
  FOREIGN KEY (account, region, repo, digest) REFERENCES registry_manifests (account, region, repo, digest) ON DELETE CASCADE
);
CREATE INDEX registry_tags_digest ON registry_tags (account, region, repo, digest);
CREATE TABLE registry_manifest_refs (
  account TEXT NOT NULL, region TEXT NOT NULL, repo TEXT NOT NULL, manifest_digest TEXT NOT NULL,
  kind TEXT NOT NULL, position INTEGER NOT NULL, child_digest TEXT NOT NULL,
  PRIMARY KEY (account, region, repo, manifest_digest, kind, position),
  FOREIGN KEY (account, region, repo, manifest_digest) REFERENCES registry_manifests (account, region, repo, digest) ON DELETE CASCADE
);
CREATE INDEX registry_manifest_refs_child ON registry_manifest_refs (child_digest);
CREATE TABLE registry_uploads (
  uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, repo TEXT NOT NULL,
  started_at REAL NOT NULL
);
`,
  },
  {
    version: 3,
    name: "elbv2",
    // ELBv2 (src/services/elbv2/repo.ts). Resources keep their Describe document (`doc`) and their
    // attributes (`attributes`, JSON object key → value); ARNs embed account and region.
    sql: `
CREATE TABLE elbv2_load_balancers (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, doc TEXT NOT NULL, attributes TEXT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE elbv2_target_groups (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  arn TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, doc TEXT NOT NULL, attributes TEXT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE elbv2_listeners (
  arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
  load_balancer_arn TEXT NOT NULL, port INTEGER NOT NULL, created_at REAL NOT NULL,
  doc TEXT NOT NULL, attributes TEXT NOT NULL,
  UNIQUE (load_balancer_arn, port)
);
CREATE TABLE elbv2_rules (
  arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, listener_arn TEXT NOT NULL,
  priority INTEGER, is_default INTEGER NOT NULL, created_at REAL NOT NULL, doc TEXT NOT NULL,
  UNIQUE (listener_arn, priority)
);
CREATE INDEX elbv2_rules_listener ON elbv2_rules (listener_arn);
CREATE TABLE elbv2_rule_target_groups (
  rule_arn TEXT NOT NULL, target_group_arn TEXT NOT NULL,
  PRIMARY KEY (rule_arn, target_group_arn)
);
CREATE INDEX elbv2_rule_target_groups_tg ON elbv2_rule_target_groups (target_group_arn);
CREATE TABLE elbv2_targets (
  target_group_arn TEXT NOT NULL, id TEXT NOT NULL, port INTEGER NOT NULL, availability_zone TEXT,
  registered_at REAL NOT NULL, draining_until REAL,
  PRIMARY KEY (target_group_arn, id, port)
);
`,
  },
  {
    version: 6,
    name: "logs",
    // CloudWatch Logs (src/services/logs/repo.ts). Streams and events hang off integer ids so the
    // event index stays small; events are ordered within a stream by (timestamp, seq), and seq is
    // the stream's insertion counter, so (stream id, seq) names an event for good (its eventId).
    sql: `
CREATE TABLE logs_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
  created_at INTEGER NOT NULL, retention_days INTEGER, log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
  UNIQUE (account, region, name)
);
CREATE TABLE logs_streams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id INTEGER NOT NULL REFERENCES logs_groups (id) ON DELETE CASCADE,
  name TEXT NOT NULL, created_at INTEGER NOT NULL,
  first_event INTEGER, last_event INTEGER, last_ingestion INTEGER,
  next_seq INTEGER NOT NULL DEFAULT 0, stored_bytes INTEGER NOT NULL DEFAULT 0,
  UNIQUE (group_id, name)
);
CREATE TABLE logs_events (
  group_id INTEGER NOT NULL, stream_id INTEGER NOT NULL REFERENCES logs_streams (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, timestamp INTEGER NOT NULL, ingestion_time INTEGER NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (stream_id, seq)
);
CREATE INDEX logs_events_stream_time ON logs_events (group_id, stream_id, timestamp, seq);
CREATE INDEX logs_events_group_time ON logs_events (group_id, timestamp, stream_id, seq);
`,
  },
  {
    version: 5,
    name: "ec2",
    // EC2 networking (src/services/ec2/repo.ts): every resource (vpc, subnet, security group,
    // internet gateway, route table, network interface, DHCP options) is one row holding its
    // Describe document and private state; tags live in `tags` under the resource ARN.
    sql: `
CREATE TABLE ec2_resources (
  account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
  vpc_id TEXT, doc TEXT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (account, region, id)
);
CREATE INDEX ec2_resources_type ON ec2_resources (account, region, type, vpc_id);
CREATE TABLE ec2_defaults (
  account TEXT NOT NULL, region TEXT NOT NULL, vpc_id TEXT NOT NULL, dhcp_options_id TEXT NOT NULL,
  PRIMARY KEY (account, region)
);
`,
  },
  {
    version: 4,
    name: "iam",
    // IAM and STS (src/services/iam/repo.ts). IAM is global: scoped by account only, never by region.
    // Names are case-insensitive as in AWS. Entities keep their Get document (`doc`); tags live in `tags`.
    sql: `
CREATE TABLE iam_roles (
  account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (account, name)
);
CREATE TABLE iam_users (
  account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (account, name)
);
CREATE TABLE iam_groups (
  account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (account, name)
);
CREATE TABLE iam_instance_profiles (
  account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (account, name)
);
CREATE TABLE iam_policies (
  account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, next_version INTEGER NOT NULL DEFAULT 2, PRIMARY KEY (account, name)
);
CREATE TABLE iam_policy_versions (
  policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE, version_id TEXT NOT NULL,
  seq INTEGER NOT NULL, document TEXT NOT NULL, is_default INTEGER NOT NULL, created_at REAL NOT NULL,
  PRIMARY KEY (policy_arn, version_id)
);
CREATE TABLE iam_group_members (
  account TEXT NOT NULL, group_name TEXT NOT NULL COLLATE NOCASE, user_name TEXT NOT NULL COLLATE NOCASE,
  position INTEGER NOT NULL, PRIMARY KEY (account, group_name, user_name)
);
CREATE TABLE iam_instance_profile_roles (
  account TEXT NOT NULL, profile TEXT NOT NULL COLLATE NOCASE, role TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (account, profile, role)
);
CREATE INDEX iam_instance_profile_roles_role ON iam_instance_profile_roles (account, role);
CREATE TABLE iam_attachments (
  account TEXT NOT NULL, kind TEXT NOT NULL, principal TEXT NOT NULL COLLATE NOCASE, policy_arn TEXT NOT NULL,
  position INTEGER NOT NULL, PRIMARY KEY (account, kind, principal, policy_arn)
);
CREATE INDEX iam_attachments_policy ON iam_attachments (account, policy_arn);
CREATE TABLE iam_inline_policies (
  account TEXT NOT NULL, kind TEXT NOT NULL, principal TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL,
  document TEXT NOT NULL, PRIMARY KEY (account, kind, principal, name)
);
CREATE TABLE iam_access_keys (
  access_key_id TEXT PRIMARY KEY, account TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE,
  secret TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE INDEX iam_access_keys_user ON iam_access_keys (account, user_name);
CREATE TABLE sts_sessions (
  access_key_id TEXT PRIMARY KEY, account TEXT NOT NULL, secret TEXT NOT NULL, session_token TEXT NOT NULL,
  arn TEXT NOT NULL, user_id TEXT NOT NULL, expires_at REAL NOT NULL
);
`,
  },
  {
    version: 20,
    name: "kms",
    // KMS (src/services/kms/repo.ts). Key material is stored wrapped by the master key file
    // (src/services/kms/master-key.ts), never in the clear; a key keeps every material it ever had,
    // so ciphertext made before a rotation still decrypts. Times are epoch milliseconds.
    sql: `
CREATE TABLE kms_keys (
  account TEXT NOT NULL, region TEXT NOT NULL, key_id TEXT NOT NULL, arn TEXT NOT NULL UNIQUE,
  manager TEXT NOT NULL, description TEXT NOT NULL, key_usage TEXT NOT NULL, key_spec TEXT NOT NULL,
  origin TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, deletion_date INTEGER,
  pending_window INTEGER, policy TEXT NOT NULL, rotation_period INTEGER, next_rotation INTEGER,
  current_material TEXT NOT NULL,
  PRIMARY KEY (account, region, key_id)
);
CREATE TABLE kms_key_material (
  key_arn TEXT NOT NULL REFERENCES kms_keys (arn) ON DELETE CASCADE, material_id TEXT NOT NULL,
  wrapped BLOB NOT NULL, created_at INTEGER NOT NULL, rotation_type TEXT,
  PRIMARY KEY (key_arn, material_id)
);
CREATE TABLE kms_aliases (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, target_key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE INDEX kms_aliases_target ON kms_aliases (account, region, target_key_id);
`,
  },
  {
    version: 21,
    name: "secretsmanager",
    // Secrets Manager (src/services/secretsmanager/repo.ts). A version's value is stored only sealed
    // (AES-256-GCM) under its own data key, and the data key only as KMS ciphertext: SQLite never
    // holds a readable secret. A staging label is on at most one version (the primary key).
    sql: `
CREATE TABLE sm_secrets (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL UNIQUE,
  description TEXT, kms_key_id TEXT, policy TEXT, rotation TEXT,
  created_at INTEGER NOT NULL, last_changed INTEGER NOT NULL, last_accessed INTEGER, deletion_date INTEGER,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE sm_versions (
  secret_arn TEXT NOT NULL REFERENCES sm_secrets (arn) ON DELETE CASCADE, version_id TEXT NOT NULL,
  seq INTEGER NOT NULL, created_at INTEGER NOT NULL, last_accessed INTEGER,
  kind TEXT NOT NULL, key_label TEXT, data_key BLOB, sealed BLOB,
  PRIMARY KEY (secret_arn, version_id)
);
CREATE TABLE sm_stages (
  secret_arn TEXT NOT NULL REFERENCES sm_secrets (arn) ON DELETE CASCADE, stage TEXT NOT NULL,
  version_id TEXT NOT NULL, PRIMARY KEY (secret_arn, stage)
);
CREATE INDEX sm_stages_version ON sm_stages (secret_arn, version_id);
`,
  },
  {
    version: 22,
    name: "ssm",
    // SSM Parameter Store (src/services/ssm/repo.ts). `key` is the name without its leading "/"
    // ("/x" and "x" have the same ARN, so they are one parameter); `name` is the name as first
    // written. A SecureString version keeps only its KMS ciphertext (`blob`), never `value`.
    sql: `
CREATE TABLE ssm_parameters (
  account TEXT NOT NULL, region TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
  version INTEGER NOT NULL, PRIMARY KEY (account, region, key)
);
CREATE TABLE ssm_versions (
  account TEXT NOT NULL, region TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
  type TEXT NOT NULL, value TEXT, blob BLOB, key_id TEXT, description TEXT, allowed_pattern TEXT,
  tier TEXT NOT NULL, data_type TEXT NOT NULL, modified_at INTEGER NOT NULL, modified_user TEXT NOT NULL,
  PRIMARY KEY (account, region, key, version),
  FOREIGN KEY (account, region, key) REFERENCES ssm_parameters (account, region, key) ON DELETE CASCADE
);
CREATE TABLE ssm_labels (
  account TEXT NOT NULL, region TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (account, region, key, label),
  FOREIGN KEY (account, region, key) REFERENCES ssm_parameters (account, region, key) ON DELETE CASCADE
);
`,
  },
  {
    version: 23,
    name: "task-endpoint",
    // The task endpoint at 169.254.170.2 (src/task-endpoint/repo.ts): the metadata endpoint id of each
    // container, the credentials id of each task with a task role, and the STS sessions issued for it
    // (their keys live in sts_sessions). Ids outlive a restart: running containers keep their env.
    sql: `
CREATE TABLE task_endpoints (
  endpoint_id TEXT PRIMARY KEY, task_arn TEXT NOT NULL, container_name TEXT NOT NULL,
  UNIQUE (task_arn, container_name)
);
CREATE TABLE task_credentials (
  credentials_id TEXT PRIMARY KEY, task_arn TEXT NOT NULL UNIQUE, role_arn TEXT NOT NULL
);
CREATE TABLE task_sessions (
  access_key_id TEXT PRIMARY KEY,
  credentials_id TEXT NOT NULL REFERENCES task_credentials (credentials_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
);
CREATE INDEX task_sessions_credentials ON task_sessions (credentials_id, expires_at);
`,
  },
  {
    version: 30,
    name: "cloudwatch",
    sql: `
CREATE TABLE cw_metrics (
  id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL,
  name TEXT NOT NULL, dims TEXT NOT NULL, last_ts INTEGER NOT NULL,
  UNIQUE (account, region, namespace, name, dims)
);
CREATE TABLE cw_buckets (
  metric_id INTEGER NOT NULL, res INTEGER NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL,
  count REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, vals BLOB,
  PRIMARY KEY (metric_id, res, ts, unit)
) WITHOUT ROWID;
CREATE INDEX cw_buckets_age ON cw_buckets (res, ts);
CREATE TABLE cw_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE cw_alarms (
  account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE cw_alarm_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL, alarm TEXT NOT NULL,
  alarm_type TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX cw_alarm_history_alarm ON cw_alarm_history (account, region, alarm, ts);
CREATE INDEX cw_alarm_history_ts ON cw_alarm_history (ts);
`,
  },
  {
    version: 31,
    name: "application-autoscaling",
    sql: `
CREATE TABLE aas_targets (
  account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, resource_id TEXT NOT NULL,
  dimension TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, namespace, resource_id, dimension)
);
CREATE TABLE aas_policies (
  account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, resource_id TEXT NOT NULL,
  dimension TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, namespace, resource_id, dimension, name)
);
CREATE TABLE aas_scheduled_actions (
  account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL, resource_id TEXT NOT NULL,
  dimension TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL, next_run INTEGER, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, namespace, resource_id, dimension, name)
);
CREATE INDEX aas_scheduled_actions_next ON aas_scheduled_actions (next_run);
CREATE TABLE aas_activities (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL,
  resource_id TEXT NOT NULL, dimension TEXT NOT NULL, start_time INTEGER NOT NULL, scaled INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX aas_activities_resource ON aas_activities (account, region, namespace, resource_id, start_time);
CREATE INDEX aas_activities_start ON aas_activities (start_time);
`,
  },
  {
    version: 32,
    name: "logs-metric-filters",
    sql: `
CREATE TABLE logs_metric_filters (
  account TEXT NOT NULL, region TEXT NOT NULL, group_name TEXT NOT NULL, name TEXT NOT NULL,
  created_at INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account, region, group_name, name)
);
`,
  },
  {
    version: 50,
    name: "acm",
    // ACM (src/services/acm/repo.ts). A certificate keeps its PEM and chain; its private key is
    // stored only sealed (AES-256-GCM under the data directory's ACM key, bound to the ARN).
    sql: `
CREATE TABLE acm_certificates (
  arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,
  type TEXT NOT NULL, domain_name TEXT NOT NULL, created_at REAL NOT NULL,
  certificate_pem TEXT, chain_pem TEXT, private_key_sealed BLOB,
  doc TEXT NOT NULL, idempotency_token TEXT, validated_at REAL
);
CREATE INDEX acm_certificates_scope ON acm_certificates (account, region, created_at);
CREATE TABLE acm_account_configuration (
  account TEXT NOT NULL, region TEXT NOT NULL, days_before_expiry INTEGER NOT NULL,
  PRIMARY KEY (account, region)
);
`,
  },
  {
    version: 51,
    name: "elbv2 listener certificates",
    // The certificates added to an HTTPS listener besides its default one (AddListenerCertificates).
    sql: `
CREATE TABLE elbv2_listener_certificates (
  listener_arn TEXT NOT NULL REFERENCES elbv2_listeners (arn) ON DELETE CASCADE,
  certificate_arn TEXT NOT NULL, position INTEGER NOT NULL,
  PRIMARY KEY (listener_arn, certificate_arn)
);
CREATE INDEX elbv2_listener_certificates_cert ON elbv2_listener_certificates (certificate_arn);
`,
  },
  {
    version: 70,
    name: "iam-authorization",
    // IAM enforcement (src/services/iam): what an STS session is beyond its keys (the role or user it
    // acts as, its session policies and tags, its identity provider: JSON in `doc`), and IAM OIDC
    // identity providers, stored like the other IAM entities (name = URL without https://).
    sql: `
ALTER TABLE sts_sessions ADD COLUMN doc TEXT;
CREATE TABLE iam_oidc_providers (
  account TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (account, name)
);
`,
  },
  {
    version: 80,
    name: "registry upload activity",
    // When an upload session last received data (or started): sessions idle for
    // UPLOAD_IDLE_MS are abandoned and swept (src/registry/gc.ts).
    sql: `ALTER TABLE registry_uploads ADD COLUMN touched_at REAL;`,
  },
];
