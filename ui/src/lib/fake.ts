// A fake backend for UI tests: records each call and answers from a handler.

import { useBackend, type Invoke } from "./api";
import type { CheckIn, Entry, Item, Questionnaire, SyncStatus } from "./bindings";
import { emptyCheckInDraft } from "./drafts";

export type Call = { command: string; args: Record<string, unknown> };

export function fakeBackend(handler: (call: Call) => unknown): { calls: Call[]; restore: () => void } {
  const calls: Call[] = [];
  const invoke: Invoke = async <T>(command: string, args: Record<string, unknown> = {}) => {
    const call = { command, args };
    calls.push(call);
    return (await handler(call)) as T;
  };
  return { calls, restore: useBackend(invoke) };
}

export function checkIn(id: string, at: string, craving: number, extra: Partial<CheckIn> = {}): Entry<CheckIn> {
  const d = emptyCheckInDraft();
  return {
    id,
    data: {
      ...d,
      at,
      craving,
      mood: null,
      outcome: null,
      ...extra,
    },
  };
}

export const emptyPage = { items: [], next: null };

type RawItem = Record<string, unknown> & { item?: RawItem[] };

/** A template file as Rust serves it: every item with its defaults filled in. */
export function served(raw: unknown): Questionnaire {
  const fill = (i: RawItem): Item =>
    ({
      required: false,
      repeats: false,
      answerOption: [],
      exclusive: false,
      ...i,
      item: (i.item ?? []).map(fill),
    }) as unknown as Item;
  const q = raw as Record<string, unknown> & { item: RawItem[] };
  return { ...q, item: q.item.map(fill) } as unknown as Questionnaire;
}

/** The sync state of a device that was never paired. */
export const notPaired: SyncStatus = {
  paired: false,
  server: null,
  consent: null,
  pending: 0,
  quarantined: 0,
  log: { last_success: null, last_attempt: null, last_error: null, refused: [] },
};
