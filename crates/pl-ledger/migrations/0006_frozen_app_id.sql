-- 0006: the Wix app an approved month was frozen for (issue 11). The outbox builds each request
-- from the frozen event's own columns and sends it only with this app; the per-event JSON
-- `payload` is no longer read (where an old payload disagrees with its columns, the columns win:
-- they are what the reports showed).
ALTER TABLE months ADD COLUMN app_id TEXT;

-- Approved months before this migration: the app id their events' payloads carried (every event
-- of an approval carried the same one); NULL when no payload holds a text app id.
UPDATE months SET app_id = (
    SELECT json_extract(e.payload, '$.event.appId') FROM events e
    WHERE e.month = months.month AND json_valid(e.payload) AND json_type(e.payload, '$.event.appId') = 'text'
    ORDER BY e.seq LIMIT 1
);
