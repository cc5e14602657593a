// Helpers for a worksheet's answers: the map from link id to values that
// mirrors the Rust `Answers` type. Every change returns a new map, so the
// fill screen can tell that something changed and save it.

import type { Answers, AnswerValue } from "./bindings";

/** The answers with `link`'s values replaced; an empty list removes the key. */
export function withValues(answers: Answers, link: string, values: AnswerValue[]): Answers {
  const next: Answers = { ...answers };
  if (values.length === 0) delete next[link];
  else next[link] = values;
  return next;
}

export function values(answers: Answers, link: string): AnswerValue[] {
  return answers[link] ?? [];
}

export function isGroup(v: AnswerValue | undefined): v is Answers {
  return typeof v === "object" && v !== null;
}

/** A link id made safe for an element id (`moods.rating` -> `moods-rating`). */
export function slug(link: string): string {
  return link.replace(/[^A-Za-z0-9_-]/g, "-");
}
