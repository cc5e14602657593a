import type { CheckInDraft, Event, EventDraft, TriggerDraft } from "./bindings";

/** A check-in for now with nothing but defaults; callers set the craving. */
export function emptyCheckInDraft(): CheckInDraft {
  return {
    at: null,
    craving: 0,
    mood: null,
    emotions: [],
    halt: { hungry: false, angry: false, lonely: false, tired: false },
    substances: [],
    trigger_ids: [],
    place: "",
    company: "",
    coping: [],
    outcome: null,
    note: "",
    visibility: "care_team",
  };
}

export function emptyTriggerDraft(): TriggerDraft {
  return {
    at: null,
    category: "",
    description: "",
    intensity: 5,
    response: "",
    checkin_id: null,
    visibility: "care_team",
  };
}

/** The draft that saves `event` unchanged; edits start from it. */
export function eventToDraft(event: Event): EventDraft {
  return {
    title: event.title,
    kind: event.kind,
    place: event.place,
    link: event.link,
    start: event.start,
    zone: event.zone,
    duration_minutes: event.duration_minutes,
    recurrence: event.recurrence ?? null,
    exceptions: [...event.exceptions],
    added: [...event.added],
    all_day: event.all_day,
    source: event.source ?? null,
    reminder_minutes: [...event.reminder_minutes],
    visibility: event.visibility,
  };
}
