-- A record made private after the server got it is pushed once more, with
-- its visibility alone, so the care team's copy drops its contents. This
-- index finds those, as records_unpushed finds the care team's.
CREATE INDEX records_withdrawn ON records (kind)
    WHERE visibility = 'private' AND pushed IS NOT NULL AND pushed <> updated;
