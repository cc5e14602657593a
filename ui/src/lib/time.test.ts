import { describe, expect, it } from "vitest";
import { dateWords, dayOf, fromLocalInput, groupByDay, timeOf, toLocalInput } from "./time";
import { checkIn } from "./fake";

describe("time", () => {
  it("writes every date in one style, long form, on this device's clock", () => {
    const noon = new Date(2027, 5, 1, 12, 5);
    expect(dateWords(noon, false, "en-US")).toBe("Tuesday, June 1, 2027");
    expect(dateWords(noon, true, "en-US")).toBe("Tuesday, June 1, 2027, 12:05");
    expect(dateWords("not a date")).toBe("not a date");
  });

  it("reads the day and clock time as the entry was logged, offset and all", () => {
    const at = "2026-11-27T23:30:00-07:00";
    expect(dayOf(at)).toBe("2026-11-27");
    expect(timeOf(at)).toBe("23:30");
    expect(toLocalInput(at)).toBe("2026-11-27T23:30");
  });

  it("groups newest-first entries by day without reordering", () => {
    const entries = [
      checkIn("c", "2026-11-27T08:00:00+00:00", 1),
      checkIn("b", "2026-11-26T23:59:00-07:00", 2),
      checkIn("a", "2026-11-26T07:00:00-07:00", 3),
    ];
    const groups = groupByDay(entries);
    expect(groups.map((g) => g.day)).toEqual(["2026-11-27", "2026-11-26"]);
    expect(groups[1]?.entries.map((e) => e.id)).toEqual(["b", "a"]);
  });

  it("turns a datetime-local value into RFC 3339 with this device's offset", () => {
    const value = "2026-07-04T18:05";
    const rfc = fromLocalInput(value);
    expect(rfc).not.toBeNull();
    expect(rfc!.slice(0, 19)).toBe("2026-07-04T18:05:00");
    expect(rfc).toMatch(/[+-]\d\d:\d\d$/);
    expect(new Date(rfc!).getTime()).toBe(new Date(value).getTime());
    expect(fromLocalInput("")).toBeNull();
  });
});
