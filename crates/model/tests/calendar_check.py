"""The outside side of the calendar differential test (calendar.rs).

Reads JSON on stdin:
  {"from": ISO, "to": ISO,            the window, UTC
   "read": [ics text, ...],            files to expand
   "write": [series, ...]}             series to write as a file

and prints JSON:
  {"read": [{uid: [[start, end], ...]}, ...], "titles": [{uid: summary}, ...],
   "written": ics text}

Reading is Python icalendar with recurring-ical-events; writing is Python
icalendar (with the VTIMEZONEs it generates from zoneinfo). Starts and ends
are UTC instants, ISO 8601. A DURATION is exact time (RFC 5545 3.3.6), so an
end is the start's instant plus the duration, not a wall-clock sum.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

request = json.load(sys.stdin)
window = (
    datetime.fromisoformat(request["from"]),
    datetime.fromisoformat(request["to"]),
)


def instant(value, zone=None):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(zone or "UTC"))
        return value.astimezone(timezone.utc)
    # A date: its midnight in the event's zone.
    return datetime(value.year, value.month, value.day, tzinfo=ZoneInfo(zone or "UTC")).astimezone(timezone.utc)


def exact_duration(event):
    """DTEND - DTSTART or DURATION as elapsed time (Python subtracts two
    times of one zone, and adds a timedelta to one, on the wall clock)."""
    if "DURATION" in event:
        return event["DURATION"].dt
    if "DTEND" in event:
        return instant(event["DTEND"].dt) - instant(event["DTSTART"].dt)
    return timedelta(0)


def occurrences(text):
    calendar = icalendar.Calendar.from_ical(text)
    # Each series' and each changed session's own duration.
    durations = {}
    for event in calendar.walk("VEVENT"):
        rid = event.get("RECURRENCE-ID")
        key = (str(event["UID"]), instant(rid.dt) if rid else None)
        durations[key] = exact_duration(event)
    out = {}
    for event in recurring_ical_events.of(calendar).between(*window):
        uid = str(event["UID"])
        start = instant(event["DTSTART"].dt)
        rid = event.get("RECURRENCE-ID")
        changed = (uid, instant(rid.dt)) if rid else None
        end = start + durations.get(changed, durations[(uid, None)])
        out.setdefault(uid, []).append([start.isoformat(), end.isoformat()])
    for times in out.values():
        times.sort()
    return out


def titles(text):
    """Each series' UID and its SUMMARY."""
    calendar = icalendar.Calendar.from_ical(text)
    return {
        str(e["UID"]): str(e.get("SUMMARY", ""))
        for e in calendar.walk("VEVENT")
        if "RECURRENCE-ID" not in e
    }


def local(text, zone):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def write(series):
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Python icalendar//Steady differential test//EN")
    calendar.add("version", "2.0")
    for s in series:
        zone = s["zone"]
        event = icalendar.Event()
        event.add("uid", s["uid"])
        event.add("summary", s["uid"])
        event.add("dtstamp", datetime(2026, 12, 1, tzinfo=timezone.utc))
        event.add("dtstart", local(s["start"], zone))
        event.add("duration", timedelta(minutes=s["minutes"]))
        rule = {"freq": s["freq"], "interval": s["interval"]}
        if s["byday"]:
            rule["byday"] = s["byday"]
        if s["wkst"] != "MO":
            rule["wkst"] = s["wkst"]
        if s.get("count") is not None:
            rule["count"] = s["count"]
        if s.get("until") is not None:
            rule["until"] = datetime.fromisoformat(s["until"]).astimezone(timezone.utc)
        event.add("rrule", rule)
        if s["exdates"]:
            event.add("exdate", [local(t, zone) for t in s["exdates"]])
        if s["rdates"]:
            event.add("rdate", [local(t, zone) for t in s["rdates"]])
        calendar.add_component(event)
        for original, start, minutes in s["moved"]:
            moved = icalendar.Event()
            moved.add("uid", s["uid"])
            moved.add("summary", s["uid"])
            moved.add("dtstamp", datetime(2026, 12, 1, tzinfo=timezone.utc))
            moved.add("recurrence-id", local(original, zone))
            moved.add("dtstart", local(start, zone))
            moved.add("duration", timedelta(minutes=minutes))
            calendar.add_component(moved)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


json.dump(
    {
        "read": [occurrences(text) for text in request["read"]],
        "titles": [titles(text) for text in request["read"]],
        "written": write(request["write"]),
    },
    sys.stdout,
)
