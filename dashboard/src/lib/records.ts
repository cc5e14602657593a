// Records arrive as field paths (`answers.moods`) to values; these helpers
// read them back as the shapes the pages show.

import type { PatientRecord, Template, TemplateItem } from "./api";

export function field<T>(r: PatientRecord, path: string): T | undefined {
  return r.fields[path] as T | undefined;
}

export function str(r: PatientRecord, path: string): string {
  const v = r.fields[path];
  return typeof v === "string" ? v : "";
}

/// The answers of a worksheet, by question id.
export function answers(r: PatientRecord): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [path, value] of Object.entries(r.fields)) {
    if (path.startsWith("answers.")) out.set(path.slice("answers.".length), value);
  }
  return out;
}

/// Every question of a template in order, groups flattened — except a
/// group answered as a whole (a repeating group), which is one question.
export function questions(t: Template | undefined, answered?: Map<string, unknown>): TemplateItem[] {
  const out: TemplateItem[] = [];
  const walk = (items: TemplateItem[]) => {
    for (const i of items) {
      if (i.type === "group" && answered?.has(i.linkId)) out.push(i);
      else if (i.type !== "group" && i.type !== "display") out.push(i);
      else if (i.item?.length) walk(i.item);
    }
  };
  if (t) walk(t.item);
  return out;
}

/// An answer in words.
export function answerText(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.map(answerText).join("; ");
  if (typeof v === "object") {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${answerText(x)}`)
      .join(", ");
  }
  return String(v);
}

export function templateOf(all: Template[], r: PatientRecord): Template | undefined {
  const id = str(r, "template");
  const version = str(r, "version");
  return all.find((t) => t.id === id && t.version === version) ?? all.find((t) => t.id === id);
}
