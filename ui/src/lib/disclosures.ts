// Words for "Who has seen my entries": one line per audit log entry.

import type { Disclosure } from "./bindings";

/** The kinds as a patient would name them in a sentence. */
const KIND_WORDS: Record<string, string> = {
  checkin: "your check-ins",
  trigger: "your trigger log",
  worksheet: "your worksheets",
  plan: "your relapse-prevention plan",
  event: "your schedule",
  attendance: "your attendance",
  program: "your program",
  message: "a message",
  assignment: "a worksheet assignment",
  reply: "your replies",
};

/** "read your check-ins", "looked at your charts", "sent you a message". */
export function whatTheyDid(d: Disclosure): string {
  const kind = d.kind ? (KIND_WORDS[d.kind] ?? d.kind) : "your entries";
  switch (d.action) {
    case "read records":
      return `read ${kind}`;
    case "read insights":
      return "looked at your charts (cravings, triggers, attendance)";
    case "read caseload summary":
      return "saw your summary on their caseload";
    case "write message":
      return "sent you a message";
    case "write assignment":
      return "assigned you a worksheet";
    case "write reply":
      return "read your reply";
    case "revoke device":
      return "disconnected one of your devices";
    default:
      return d.action.startsWith("write ") ? `wrote ${kind}` : d.action;
  }
}

/** "Dana Counselor (counselor)". */
export function who(d: Disclosure): string {
  return d.role ? `${d.who} (${d.role})` : d.who;
}
