-- 0003: the outbox's attempts. An event's state lives on `events.state`; every attempt to send
-- it is kept here: when, what Wix answered (body scrubbed of secrets), what we concluded.

CREATE TABLE outbox_attempts (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES events(id),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    -- sent | rejected | uncertain | retry (certainly not processed) | stopped (401/403/428)
    -- | crashed (the process died while the request was out)
    outcome     TEXT,
    http_status INTEGER,
    auth_flow   TEXT,
    response    TEXT,
    message     TEXT
) STRICT;
CREATE INDEX outbox_attempts_event ON outbox_attempts(event_id);

ALTER TABLE events ADD COLUMN last_error TEXT;
CREATE INDEX events_state ON events(state);
