import { describe, expect, it } from "vitest";
import scale from "../../../crates/model/templates/craving-scale.json";
import pacs from "../../../crates/model/templates/pacs.json";
import { served } from "./fake";
import { filled } from "./fill";

describe("a template's fill-ins", () => {
  const craving = served(scale);

  it("read as the stand-in words until the patient names the substance", () => {
    const t = filled(craving, () => undefined);
    expect(t.item[1]?.text).toBe(
      "During the past week how often have you thought about using the substance or about how good using it would make you feel?",
    );
    expect(filled(craving, () => "   ").item[1]?.text).toContain("using the substance");
  });

  it("read as the patient's own word everywhere, as steady-model's Questionnaire::filled does", () => {
    const t = filled(craving, (link) => (link === "substance" ? " fentanyl " : undefined));
    expect(t.item[1]?.text).toBe(
      "During the past week how often have you thought about using fentanyl or about how good using it would make you feel?",
    );
    expect(t.item[2]?.answerOption[6]?.display).toBe("Strong urge and would have used fentanyl if it were available");
    const texts = t.item.flatMap((i) => [i.text, ...i.answerOption.map((o) => o.display)]);
    expect(texts.filter((x) => x.includes("{"))).toEqual([]);
    expect(texts.filter((x) => /drink|alcohol/i.test(x))).toEqual([]);
    // The question that asks keeps its own words.
    expect(t.item[0]?.text).toBe("Which substance are these questions about?");
  });

  it("leave a template without fill-ins as it is", () => {
    const published = served(pacs);
    expect(filled(published, () => "fentanyl")).toBe(published);
  });
});
