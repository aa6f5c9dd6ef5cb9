-- 0008: the outbox's counts of a month by state come from one index: a month of 1M events
-- counted in 0.03 s instead of 0.37 s through the table (the window asks for them every time it
-- shows an approved month). The index on the state alone goes: every query by state names its
-- months, and approval still maintains as many indexes as before.
DROP INDEX events_state;
CREATE INDEX events_month_state ON events(month, state);
