/** Tables of the outbox, its relay lease and the inbox, created on first use (see data/runtime-schema.ts). */
export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS msx_outbox (
  seq          bigserial   PRIMARY KEY,
  id           text        NOT NULL UNIQUE,
  type         text        NOT NULL,
  key          text,
  data         jsonb       NOT NULL,
  headers      jsonb       NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS msx_outbox_unpublished ON msx_outbox (seq) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS msx_outbox_lease (
  name       text        PRIMARY KEY,
  owner      text        NOT NULL,
  expires_at timestamptz NOT NULL
);`;

export const INBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS msx_inbox (
  consumer_group text        NOT NULL,
  event_id       text        NOT NULL,
  handled_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);`;
