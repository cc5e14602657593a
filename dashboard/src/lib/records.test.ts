import { describe, expect, it } from "vitest";
import type { ItemType } from "./bindings";
import type { TemplateItem } from "./api";
import { answerText, answers, groupAnswers, questions, templateOf, valueText } from "./records";

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

  it("reads answers with the template's question texts and option labels, never its keys", () => {
    const traps = {
      ...item("distortions", "choice", "Thinking traps"),
      repeats: true,
      answerOption: [
        { code: "all-or-nothing", display: "All-or-nothing thinking" },
        { code: "mind-reading", display: "Mind reading" },
      ],
    };
    expect(valueText(traps, ["mind-reading", "all-or-nothing"])).toBe("Mind reading; All-or-nothing thinking");
    expect(valueText(traps, ["a-code-from-elsewhere"])).toBe("a-code-from-elsewhere");
    expect(valueText(item("hot", "boolean", "Hot"), [true])).toBe("Yes");
    expect(valueText(item("n", "integer", "N"), [])).toBe("—");

    const moods = {
      ...item("moods", "group", "2. Moods", [
        item("moods.mood", "string", "Mood"),
        item("moods.rating", "integer", "How strong (0-100%)"),
      ]),
      repeats: true,
    };
    const rows = groupAnswers(moods, [
      { "moods.mood": ["sad"], "moods.rating": [80] },
      { "moods.mood": ["tense"] },
    ]);
    expect(rows).toEqual([
      [
        ["Mood", "sad"],
        ["How strong (0-100%)", "80"],
      ],
      [
        ["Mood", "tense"],
        ["How strong (0-100%)", "—"],
      ],
    ]);
    expect(JSON.stringify(rows)).not.toContain("moods.");
    expect(groupAnswers(moods, undefined)).toEqual([]);
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

  it("reads a template's fill-ins in the patient's own word", () => {
    const t = {
      id: "craving-scale",
      version: "1.0.0",
      title: "Craving scale (any substance)",
      description: "",
      source: "",
      item: [
        { ...item("substance", "string", "Which substance?"), required: true, fillsIn: "the substance" },
        {
          ...item("intensity", "choice", "How strong was your craving for {substance}?"),
          answerOption: [{ code: "6", display: "Would have used {substance}" }],
        },
      ],
    };
    const record = (fields: Record<string, unknown>) => ({
      id: "w",
      kind: "worksheet",
      fields: { template: "craving-scale", version: "1.0.0", ...fields },
      unreadable: false,
      withdrawn: false,
    });
    const named = templateOf([t], record({ "answers.substance": ["meth"], "answers.intensity": ["6"] }));
    expect(named?.item[1]?.text).toBe("How strong was your craving for meth?");
    expect(valueText(named!.item[1]!, ["6"])).toBe("Would have used meth");
    expect(templateOf([t], record({}))?.item[1]?.text).toBe("How strong was your craving for the substance?");
  });
});
