-- Check-ins per local day, kept by triggers as records change (however they
-- change: an edit, a deletion, a pulled page, a restore), so the progress
-- counts — a streak, days without use — read one row a day instead of every
-- check-in's body. `day` is the local date the check-in was written on: the
-- first ten characters of its `at` (RFC 3339 with the patient's offset).
-- `uses` counts the ones whose outcome was "used".

CREATE TABLE checkin_days (
    day TEXT PRIMARY KEY NOT NULL,
    checkins INTEGER NOT NULL CHECK (checkins >= 0),
    uses INTEGER NOT NULL CHECK (uses >= 0)
) STRICT, WITHOUT ROWID;

INSERT INTO checkin_days (day, checkins, uses)
SELECT substr(json_extract(body, '$.at'), 1, 10), count(*),
       sum(json_extract(body, '$.outcome') IS 'used')
FROM records WHERE kind = 'checkin' AND deleted = 0
GROUP BY 1;

CREATE TRIGGER checkin_days_insert AFTER INSERT ON records
WHEN NEW.kind = 'checkin' AND NEW.deleted = 0
BEGIN
    INSERT INTO checkin_days (day, checkins, uses)
    VALUES (substr(json_extract(NEW.body, '$.at'), 1, 10), 1,
            json_extract(NEW.body, '$.outcome') IS 'used')
    ON CONFLICT (day) DO UPDATE SET checkins = checkins + 1, uses = uses + excluded.uses;
END;

CREATE TRIGGER checkin_days_update AFTER UPDATE OF body, deleted, kind ON records
WHEN OLD.kind = 'checkin' OR NEW.kind = 'checkin'
BEGIN
    UPDATE checkin_days
    SET checkins = checkins - 1, uses = uses - (json_extract(OLD.body, '$.outcome') IS 'used')
    WHERE OLD.kind = 'checkin' AND OLD.deleted = 0
      AND day = substr(json_extract(OLD.body, '$.at'), 1, 10);
    INSERT INTO checkin_days (day, checkins, uses)
    SELECT substr(json_extract(NEW.body, '$.at'), 1, 10), 1,
           json_extract(NEW.body, '$.outcome') IS 'used'
    WHERE NEW.kind = 'checkin' AND NEW.deleted = 0
    ON CONFLICT (day) DO UPDATE SET checkins = checkins + 1, uses = uses + excluded.uses;
    DELETE FROM checkin_days WHERE checkins = 0;
END;

CREATE TRIGGER checkin_days_delete AFTER DELETE ON records
WHEN OLD.kind = 'checkin' AND OLD.deleted = 0
BEGIN
    UPDATE checkin_days
    SET checkins = checkins - 1, uses = uses - (json_extract(OLD.body, '$.outcome') IS 'used')
    WHERE day = substr(json_extract(OLD.body, '$.at'), 1, 10);
    DELETE FROM checkin_days WHERE checkins = 0;
END;
