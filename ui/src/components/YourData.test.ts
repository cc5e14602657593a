import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import YourData from "./YourData.svelte";
import { fakeBackend } from "../lib/fake";

let restore = () => {};
afterEach(() => restore());

describe("Your data", () => {
  it("exports everything into the folder chosen and says what was written", async () => {
    const fake = fakeBackend(({ command }) =>
      command === "export_my_data"
        ? { folder: "/home/ana/Downloads/Steady export 2026-12-01 2130", files: ["README.txt", "records.json"], records: 412 }
        : null,
    );
    restore = fake.restore;
    render(YourData, {});
    await fireEvent.click(screen.getByRole("button", { name: "Export my data…" }));
    await waitFor(() => expect(document.getElementById("export-done")).toBeTruthy());
    expect(document.getElementById("export-done")!.textContent).toContain(
      "Saved 412 entries to /home/ana/Downloads/Steady export 2026-12-01 2130: README.txt, records.json.",
    );
  });

  it("says nothing was saved when the dialog is closed, and shows a refusal in words", async () => {
    const closed = fakeBackend(() => null);
    restore = closed.restore;
    render(YourData, {});
    await fireEvent.click(screen.getByRole("button", { name: "Export my data…" }));
    expect(await screen.findByText("Nothing was saved.")).toBeTruthy();
    closed.restore();
    const refused = fakeBackend(() => {
      throw { kind: "storage", message: "Steady could not write /x: denied. Choose a folder you can write to." };
    });
    restore = refused.restore;
    await fireEvent.click(screen.getByRole("button", { name: "Export my data…" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Choose a folder you can write to");
  });
});

describe("Back up and restore", () => {
  it("makes a backup only with the same passphrase twice, and restores with it", async () => {
    const fake = fakeBackend(({ command }) => {
      if (command === "backup_now") return { path: "/home/ana/Downloads/Steady backup.steadybackup", records: 301, bytes: 9000 };
      if (command === "restore_backup") return { records: 301, changed: 12, unchanged: 289, skipped: [] };
      return null;
    });
    restore = fake.restore;
    render(YourData, {});
    await fireEvent.input(screen.getByLabelText("Passphrase"), { target: { value: "river stone lantern" } });
    await fireEvent.input(screen.getByLabelText("Passphrase again (to make a backup)"), { target: { value: "river stone lanterm" } });
    await fireEvent.click(screen.getByRole("button", { name: "Make a backup…" }));
    expect((await screen.findByRole("alert")).textContent).toContain("The two passphrases differ");
    expect(fake.calls.filter((c) => c.command === "backup_now")).toHaveLength(0);

    await fireEvent.input(screen.getByLabelText("Passphrase again (to make a backup)"), { target: { value: "river stone lantern" } });
    await fireEvent.click(screen.getByRole("button", { name: "Make a backup…" }));
    await waitFor(() => expect(document.getElementById("backup-done")).toBeTruthy());
    expect(fake.calls.find((c) => c.command === "backup_now")!.args).toEqual({ passphrase: "river stone lantern" });
    expect(document.getElementById("backup-done")!.textContent).toContain("Backed up 301 entries");
    // The passphrase is not kept on the screen.
    expect((screen.getByLabelText("Passphrase") as HTMLInputElement).value).toBe("");

    await fireEvent.input(screen.getByLabelText("Passphrase"), { target: { value: "river stone lantern" } });
    await fireEvent.click(screen.getByRole("button", { name: "Restore from backup…" }));
    await waitFor(() => expect(document.getElementById("restore-done")).toBeTruthy());
    expect(document.getElementById("restore-done")!.textContent).toContain("12 entries added or brought up to date, 289 already here.");
  });
});
