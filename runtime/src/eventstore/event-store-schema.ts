/** Tables of the event store, created on first use (see data/runtime-schema.ts). */
export const EVENT_STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS msx_events (
  aggregate_id text        NOT NULL,
  version      integer     NOT NULL CHECK (version > 0),
  type         text        NOT NULL,
  data         jsonb       NOT NULL,
  metadata     jsonb       NOT NULL DEFAULT '{}',
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS msx_snapshots (
  aggregate_id text        PRIMARY KEY,
  version      integer     NOT NULL,
  state        jsonb       NOT NULL,
  taken_at     timestamptz NOT NULL DEFAULT now()
);`;
