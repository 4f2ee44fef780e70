-- Dashboard sessions (issue 16): the browser's session cookie for the backend's dashboard.
--
-- hash: the hex SHA-256 of the session id (32 random bytes); the id itself lives only in the
-- browser's HttpOnly cookie and is never stored. person_id: whose dashboard it opens. Times
-- are Unix seconds; a session is valid while expires_at > now. Deleting a person's login
-- (sign out, a dead refresh token) deletes their sessions too.

CREATE TABLE IF NOT EXISTS dashboard_sessions (
    hash        TEXT    NOT NULL PRIMARY KEY,
    person_id   TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE INDEX IF NOT EXISTS dashboard_sessions_person ON dashboard_sessions (person_id);
CREATE INDEX IF NOT EXISTS dashboard_sessions_expiry ON dashboard_sessions (expires_at);
