import type { Migration } from "./migrate.ts";

/**
 * Every table is scoped by account and region (anchors rule 10). Resources are stored as the
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
];
