import { describe, expect, it } from "vitest";
import type { PatientRecord } from "./api";
import { timeline, type Entry } from "./timeline";

const record = (id: string, kind: string, fields: Record<string, unknown>): PatientRecord => ({
  id,
  kind,
  fields,
  unreadable: false,
  withdrawn: false,
});

describe("timeline", () => {
  const lapse = record("c2", "checkin", {
    at: "2026-11-20T23:05:00-07:00",
    craving: 9,
    mood: -3,
    halt: { hungry: false, angry: true, lonely: true, tired: false },
    emotions: ["ashamed"],
    substances: ["alcohol"],
    place: "home",
    company: "alone",
    coping: ["called my sponsor"],
    outcome: "used",
    note: "after the argument",
    visibility: "care_team",
  });
  const calm = record("c1", "checkin", {
    at: "2026-11-19T08:00:00-07:00",
    craving: 2,
    mood: null,
    halt: { hungry: false, angry: false, lonely: false, tired: false },
    emotions: [],
    substances: [],
    place: "",
    company: "",
    coping: [],
    outcome: null,
    note: "",
  });
  const trig = record("t1", "trigger", {
    at: "2026-11-20T22:30:00-07:00",
    category: "people",
    description: "my brother came by drunk",
    intensity: 7,
    response: "left the room",
  });

  it("puts check-ins and triggers together, newest first, in the app's words", () => {
    const entries = timeline([calm, lapse], [trig]);
    expect(entries.map((e) => e.id)).toEqual(["c2", "t1", "c1"]);
    const [first, second, third] = entries as [Entry, Entry, Entry];
    expect(first.lapse).toBe(true);
    expect(first.title).toBe("Check-in — lapse reported");
    expect(first.note).toBe("after the argument");
    expect(Object.fromEntries(first.details)).toEqual({
      Craving: "9 of 10 (severe)",
      Mood: "-3 (−5 very low to +5 very good)",
      HALT: "Angry, Lonely",
      Emotions: "ashamed",
      Substances: "alcohol",
      Where: "home",
      With: "alone",
      Coping: "called my sponsor",
      Outcome: "Used",
    });
    expect(second.title).toBe("Trigger: People");
    expect(second.note).toBe("my brother came by drunk");
    expect(Object.fromEntries(second.details)).toEqual({ Intensity: "7 of 10", "What they did": "left the room" });
    // Nothing filled in, nothing listed.
    expect(third.lapse).toBe(false);
    expect(third.details).toEqual([["Craving", "2 of 10 (slight)"]]);
  });

  it("leaves out what the server could not read and what the patient withdrew", () => {
    const gone = { ...calm, id: "w", withdrawn: true, fields: {} };
    const broken = { ...calm, id: "u", unreadable: true, fields: {} };
    expect(timeline([gone, broken, calm], []).map((e) => e.id)).toEqual(["c1"]);
  });
});
