-- One row per charge attempt, keyed by the caller's idempotency key: a
-- retried charge finds its row and gets the same answer, never a second charge.
CREATE TABLE charges (
  id              uuid        PRIMARY KEY,
  idempotency_key text        NOT NULL UNIQUE,
  order_id        text        NOT NULL,
  user_id         text        NOT NULL,
  amount          integer     NOT NULL CHECK (amount >= 0),
  status          text        NOT NULL CHECK (status IN ('captured', 'declined', 'refunded')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  refunded_at     timestamptz
);
CREATE INDEX charges_by_order ON charges (order_id);
