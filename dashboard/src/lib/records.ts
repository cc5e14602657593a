// Records arrive as field paths (`answers.moods`) to values; these helpers
// read them back as the shapes the pages show.

import { filled } from "@steady/fill";
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

/// An answer to `item` in words: a choice by its label in the template, yes
/// or no, a number, the patient's text; several joined with "; ".
export function valueText(item: TemplateItem, v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(item, x)).join("; ") : "—";
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (item.type === "choice") return item.answerOption.find((o) => o.code === v)?.display ?? String(v);
  if (typeof v === "object") return "—";
  return String(v);
}

/// A group's filled-in instances (one, or several for a repeating group),
/// each as its items' question texts and answers, in the template's order;
/// a group inside a group is read into the same list.
export function groupAnswers(item: TemplateItem, v: unknown): [string, string][][] {
  const instances = (Array.isArray(v) ? v : v ? [v] : []).filter(
    (x): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x),
  );
  return instances.map((instance) =>
    item.item
      .filter((child) => child.type !== "display")
      .flatMap((child): [string, string][] =>
        child.type === "group"
          ? groupAnswers(child, instance[child.linkId]).flat()
          : [[child.text, valueText(child, instance[child.linkId])]],
      ),
  );
}

/// An answer in words, without its template (which is missing).
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

/// The template a worksheet was filled from, in the patient's own words
/// where it has fill-ins (`{substance}` read as "fentanyl").
export function templateOf(all: Template[], r: PatientRecord, given = answers(r)): Template | undefined {
  const id = str(r, "template");
  const version = str(r, "version");
  const t = all.find((t) => t.id === id && t.version === version) ?? all.find((t) => t.id === id);
  return t && filled(t, (link) => {
    const v = given.get(link);
    return Array.isArray(v) ? v[0] : v;
  });
}
