-- One schema for SQLite and PostgreSQL: the types used (TEXT, BIGINT) mean the same in both.
-- Notification subscriptions and what was announced (no tokens, no e-mail).
--
-- Every statement is idempotent and the store runs this file at each start itself, rather
-- than through sqlx's migrator: the bot store is shared with other features (card state),
-- and two migrators in one database would fight over `_sqlx_migrations` version numbers.
-- `notify_schema` records the version; a later change adds statements guarded by it.
CREATE TABLE IF NOT EXISTS notify_schema (
    version  BIGINT NOT NULL
);
INSERT INTO notify_schema (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM notify_schema);

CREATE TABLE IF NOT EXISTS notify_subscriptions (
    person_id        TEXT PRIMARY KEY NOT NULL,
    room_id          TEXT NOT NULL,
    cadence          TEXT NOT NULL,
    local_time       TEXT NOT NULL,
    tz               TEXT NOT NULL,
    window_days      BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_run_at      BIGINT,
    last_attempt_at  BIGINT,
    last_error       TEXT,
    reminder_sent    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS notify_announced (
    person_id     TEXT NOT NULL,
    category      TEXT NOT NULL,
    item_key      TEXT NOT NULL,
    value         BIGINT NOT NULL,
    announced_at  BIGINT NOT NULL,
    PRIMARY KEY (person_id, category, item_key)
);

-- One row per scheduler: who runs passes until when (SQLite; PostgreSQL uses an advisory lock).
CREATE TABLE IF NOT EXISTS notify_lease (
    name    TEXT PRIMARY KEY NOT NULL,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL
);

-- Webhook events the bot has accepted, by `resource:event:data.id`, kept for a day, so that a
-- Webex retry or a replayed delivery reaching any replica, before or after a restart, gets no
-- second answer. Old rows are purged by the bot as it records new ones.
CREATE TABLE IF NOT EXISTS bot_deliveries (
    event_key  TEXT PRIMARY KEY NOT NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bot_deliveries_seen_at ON bot_deliveries (seen_at);

-- The durable intake: every accepted webhook event until a worker of any replica has finished
-- it. A worker takes one under a lease (owner and expiry, renewed while it works); an event
-- whose owner died is taken again once the lease has expired; a failed attempt waits until
-- `available_at`; after the last attempt the event is kept as a dead letter (`dead_at`).
-- `payload` is the job as JSON: the resource and the ids of the delivery, never message text.
CREATE TABLE IF NOT EXISTS bot_events (
    event_key     TEXT PRIMARY KEY NOT NULL,
    payload       TEXT NOT NULL,
    accepted_at   BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    available_at  BIGINT NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT,
    dead_at       BIGINT,
    last_error    TEXT
);
CREATE INDEX IF NOT EXISTS bot_events_ready ON bot_events (dead_at, available_at);

-- How many messages of an event's answer are posted, written after each post: a worker taking
-- over from one that died posts the rest only, not the whole answer again. Purged with the
-- delivery records.
CREATE TABLE IF NOT EXISTS bot_event_posts (
    event_key  TEXT PRIMARY KEY NOT NULL,
    posted     BIGINT NOT NULL,
    noted_at   BIGINT NOT NULL
);

-- A digest being sent: written before it is posted, removed with the announcements it made
-- (one transaction). A row found at the start of a send means a pass stopped between the two,
-- and the digest may or may not have reached the person: they get a short note instead of a
-- second copy, and what that digest held (`record`: its announcements, one per line) is
-- recorded as announced, so later items still come in the next digests.
CREATE TABLE IF NOT EXISTS notify_sending (
    person_id   TEXT PRIMARY KEY NOT NULL,
    started_at  BIGINT NOT NULL,
    record      TEXT NOT NULL DEFAULT ''
);

-- Unit prices a person sent the bot for `renewals`: the CSV as they uploaded it (licence names
-- and prices, no tokens), replaced by the next upload and deleted by `sign out`.
CREATE TABLE IF NOT EXISTS bot_prices (
    person_id   TEXT PRIMARY KEY NOT NULL,
    csv         TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
