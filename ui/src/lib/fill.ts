// A template as the patient reads it: `{linkId}` in a question, hint or
// option is the patient's answer to that fill-in item ("fentanyl"), or the
// item's stand-in words ("the substance") until it has one. The same rule as
// steady-model's `Questionnaire::filled`, which the FHIR export uses; the
// app and the dashboard both read templates through this one file.

interface FillOption {
  display: string;
  explanation?: string;
}

export interface FillItem {
  linkId: string;
  text: string;
  help?: string;
  fillsIn?: string;
  item: FillItem[];
  answerOption: FillOption[];
}

/** `t` with its fill-ins replaced; `answerTo` gives an item's first answer. */
export function filled<T extends { item: FillItem[] }>(t: T, answerTo: (linkId: string) => unknown): T {
  const words: [string, string][] = [];
  for (const i of t.item) {
    if (!i.fillsIn) continue;
    const answer = answerTo(i.linkId);
    const word = typeof answer === "string" ? answer.trim() : "";
    words.push([`{${i.linkId}}`, word || i.fillsIn]);
  }
  if (!words.length) return t;
  const fill = (text: string) => words.reduce((out, [token, word]) => out.replaceAll(token, word), text);
  const item = (i: FillItem): FillItem => ({
    ...i,
    text: fill(i.text),
    ...(i.help === undefined ? {} : { help: fill(i.help) }),
    answerOption: i.answerOption.map((o) => ({
      ...o,
      display: fill(o.display),
      ...(o.explanation === undefined ? {} : { explanation: fill(o.explanation) }),
    })),
    item: i.item.map(item),
  });
  return { ...t, item: t.item.map(item) };
}
