-- The v2 replay window shared by every replica that uses this database (signing.md: a nonce
-- accepted in the last 600 s is refused). Only the nonce and when it was accepted are kept.

CREATE TABLE IF NOT EXISTS seen_nonces (
    nonce   TEXT   NOT NULL PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS seen_nonces_seen_at ON seen_nonces (seen_at);
