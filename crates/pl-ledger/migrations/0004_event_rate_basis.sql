-- Which rate an approved event took and why, in the words of the Wix report's "Revenue Share
-- Calculation" column: `rate in force on YYYY-MM-DD` (the event's own date) or `rate of the
-- original charge of YYYY-MM-DD` (setting refund_rate = original_charge). NULL for events
-- approved before this column existed: their column keeps the words it had then.
ALTER TABLE events ADD COLUMN rate_basis TEXT;
