import { describe, expect, it } from "vitest";
import { parse, patientHref } from "./route";

describe("routes", () => {
  it("reads every page from the hash", () => {
    expect(parse("")).toEqual({ page: "caseload" });
    expect(parse("#/")).toEqual({ page: "caseload" });
    expect(parse("#/?q=ana&sort=craving")).toEqual({ page: "caseload" });
    expect(parse("#/groups")).toEqual({ page: "groups" });
    expect(parse("#/admin/audit")).toEqual({ page: "audit" });
    expect(parse("#/nowhere")).toEqual({ page: "missing" });
  });

  it("round-trips a patient id, whatever it holds", () => {
    const id = "01a2/b c";
    expect(parse(patientHref(id))).toEqual({ page: "patient", id });
  });
});
