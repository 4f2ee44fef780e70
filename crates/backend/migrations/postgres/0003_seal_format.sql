-- How each sealed value's AES-GCM associated data is laid out (crypto::SealFormat):
-- 1 = context || key id (every row written before this migration), 2 = u32-BE length of the
-- context || context || key id (every value sealed since). Opening the store re-seals the rows
-- still at 1, so afterwards a 1 marks a row the configured keys could not open.
--
-- Pending sign-ins also get the key of their code's HMAC (code_key, sealed like the tokens);
-- NULL marks a row from before, whose code_hash is the old unkeyed SHA-256.

ALTER TABLE tokens ADD COLUMN seal_format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE pending_signins ADD COLUMN seal_format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE oauth_attempts ADD COLUMN seal_format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE pending_signins ADD COLUMN code_key BYTEA;
