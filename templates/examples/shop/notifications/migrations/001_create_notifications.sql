-- What the shop "sent" (no SMTP). event_id makes handling idempotent: an
-- event delivered twice inserts once. Each user gets one welcome, ever.
CREATE TABLE notifications (
  event_id text        PRIMARY KEY,
  user_id  text        NOT NULL,
  kind     text        NOT NULL,
  subject  text        NOT NULL,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_by_user ON notifications (user_id, at);
CREATE UNIQUE INDEX one_welcome_per_user ON notifications (user_id) WHERE kind = 'welcome';
