import { afterEach, describe, expect, it } from "vitest";
import { ApiError, api } from "./api";
import { fakeBackend } from "./fake";
import { emptyCheckInDraft } from "./drafts";

let restore = () => {};
afterEach(() => restore());

describe("api", () => {
  it("sends each command its arguments by name", async () => {
    const fake = fakeBackend(() => ({ id: "x", data: {} }));
    restore = fake.restore;
    const draft = { ...emptyCheckInDraft(), craving: 6 };
    await api.createCheckIn(draft);
    await api.updateCheckIn("id-1", draft);
    await api.deleteTrigger("id-2");
    expect(fake.calls).toEqual([
      { command: "create_checkin", args: { draft } },
      { command: "update_checkin", args: { id: "id-1", draft } },
      { command: "delete_trigger", args: { id: "id-2" } },
    ]);
  });

  it("turns a refusal into an ApiError with a message per field", async () => {
    const fake = fakeBackend(() => {
      throw {
        kind: "invalid",
        message: "Craving must be ...",
        fields: [{ field: "craving", message: "Craving must be from 0 to 10." }],
      };
    });
    restore = fake.restore;
    const err = await api.createCheckIn(emptyCheckInDraft()).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.report.kind).toBe("invalid");
    expect(err.fields).toEqual({ craving: "Craving must be from 0 to 10." });
  });

  it("turns anything else thrown into a storage error in words", async () => {
    const fake = fakeBackend(() => {
      throw "invalid args `draft` for command `create_checkin`";
    });
    restore = fake.restore;
    const err = await api.createCheckIn(emptyCheckInDraft()).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.report.kind).toBe("storage");
    expect(err.message).toMatch(/Nothing was saved/);
    expect(err.fields).toEqual({});
  });
});
