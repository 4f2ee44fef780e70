-- Alexa account linking (issue 15): this backend is the OAuth authorization server of the
-- Alexa skill.
--
-- oauth_attempts.alexa_request: JSON of Alexa's authorization request (redirect_uri, state,
-- code_challenge) carried through the Cisco SSO sign-in; none of it is a secret, so it is not
-- sealed. NULL for an ordinary sign-in.
--
-- alexa_grants: every code and token issued to Alexa, by the hex SHA-256 of its value (the
-- value itself is never stored). kind: 'code' | 'access' | 'refresh'. link_id groups what one
-- authorization produced, so a reused code or refresh token revokes the whole link. used_at:
-- when a code was redeemed or a refresh token rotated (NULL = still usable). Times are Unix
-- seconds.

ALTER TABLE oauth_attempts ADD COLUMN alexa_request TEXT;

CREATE TABLE IF NOT EXISTS alexa_grants (
    hash           TEXT    NOT NULL PRIMARY KEY,
    kind           TEXT    NOT NULL,
    link_id        TEXT    NOT NULL,
    person_id      TEXT    NOT NULL,
    room_id        TEXT    NOT NULL,
    redirect_uri   TEXT,
    code_challenge TEXT,
    used_at        BIGINT,
    expires_at     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL
);

CREATE INDEX IF NOT EXISTS alexa_grants_link ON alexa_grants (link_id);
CREATE INDEX IF NOT EXISTS alexa_grants_person ON alexa_grants (person_id);
CREATE INDEX IF NOT EXISTS alexa_grants_expiry ON alexa_grants (expires_at);
