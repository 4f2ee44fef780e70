-- The token store (SQLite dialect; postgres/0001_token_store.sql is the same schema).
-- Tokens are AES-256-GCM ciphertexts (nonce || ciphertext || tag); no e-mail, name or other
-- personal data is stored. Times are Unix seconds.

CREATE TABLE IF NOT EXISTS tokens (
    person_id     TEXT    NOT NULL PRIMARY KEY,
    room_id       TEXT,
    access_token  BLOB    NOT NULL,
    refresh_token BLOB,
    expires_at    BIGINT  NOT NULL,
    key_id        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS pending_signins (
    person_id     TEXT    NOT NULL PRIMARY KEY,
    room_id       TEXT,
    code_hash     TEXT    NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    access_token  BLOB    NOT NULL,
    refresh_token BLOB,
    expires_at    BIGINT  NOT NULL,
    key_id        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    pending_until BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_attempts (
    state          TEXT    NOT NULL PRIMARY KEY,
    pkce_verifier  BLOB    NOT NULL,
    link_person_id TEXT,
    key_id         TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL
);

CREATE INDEX IF NOT EXISTS pending_signins_until ON pending_signins (pending_until);
CREATE INDEX IF NOT EXISTS oauth_attempts_expiry ON oauth_attempts (expires_at);
