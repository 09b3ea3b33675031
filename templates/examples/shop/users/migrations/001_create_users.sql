-- Users own sign-up. E-mail addresses are stored lower-cased, so the unique
-- index makes "taken" case-insensitive.
CREATE TABLE users (
  id         uuid        PRIMARY KEY,
  email      text        NOT NULL UNIQUE,
  name       text        NOT NULL,
  active     boolean     NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
