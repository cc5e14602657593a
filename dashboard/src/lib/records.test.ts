import { describe, expect, it } from "vitest";
import { answerText, answers, questions } from "./records";

describe("records", () => {
  it("gathers a worksheet's answers from their field paths", () => {
    const r = {
      id: "w",
      kind: "worksheet",
      fields: { template: "coping-card", "answers.situation": "after work", "answers.moods": ["sad", "tense"] },
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
      item: [
        { linkId: "g", type: "group", text: "G", item: [{ linkId: "q1", type: "string", text: "Q1", item: [] }] },
        { linkId: "q2", type: "integer", text: "Q2", item: [] },
      ],
    };
    expect(questions(t).map((q) => q.linkId)).toEqual(["q1", "q2"]);
  });
});
