import { describe, expect, it } from "vitest";
import type { ItemType } from "./bindings";
import type { TemplateItem } from "./api";
import { answerText, answers, questions } from "./records";

const item = (linkId: string, type: ItemType, text: string, items: TemplateItem[] = []): TemplateItem => ({
  linkId,
  type,
  text,
  required: false,
  repeats: false,
  item: items,
  answerOption: [],
  exclusive: false,
});

describe("records", () => {
  it("gathers a worksheet's answers from their field paths", () => {
    const r = {
      id: "w",
      kind: "worksheet",
      fields: { template: "coping-card", "answers.situation": "after work", "answers.moods": ["sad", "tense"] },
      unreadable: false,
      withdrawn: false,
    };
    const a = answers(r);
    expect(a.get("situation")).toBe("after work");
    expect(answerText(a.get("moods"))).toBe("sad; tense");
    expect(answerText(undefined)).toBe("—");
  });

  it("lists a template's questions, groups flattened", () => {
    const t = {
      id: "t",
      version: "1",
      title: "T",
      description: "",
      source: "",
      item: [item("g", "group", "G", [item("q1", "string", "Q1")]), item("q2", "integer", "Q2")],
    };
    expect(questions(t).map((q) => q.linkId)).toEqual(["q1", "q2"]);
  });
});
