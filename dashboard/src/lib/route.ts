// Hash routes, so the server hands out one page and every link works on
// reload: #/ (caseload, with its search, filter and order after a "?"),
// #/patients/<id>, #/groups, #/admin/staff, #/admin/devices, #/admin/audit.

export type Route =
  | { page: "caseload" }
  | { page: "patient"; id: string }
  | { page: "groups" }
  | { page: "staff" }
  | { page: "devices" }
  | { page: "audit" }
  | { page: "missing" };

export function parse(hash: string): Route {
  const path = hash.replace(/^#/, "").split("?")[0] || "/";
  if (path === "/") return { page: "caseload" };
  const patient = /^\/patients\/([^/]+)$/.exec(path);
  if (patient?.[1]) return { page: "patient", id: decodeURIComponent(patient[1]) };
  switch (path) {
    case "/groups":
      return { page: "groups" };
    case "/admin/staff":
      return { page: "staff" };
    case "/admin/devices":
      return { page: "devices" };
    case "/admin/audit":
      return { page: "audit" };
    default:
      return { page: "missing" };
  }
}

export function patientHref(id: string): string {
  return `#/patients/${encodeURIComponent(id)}`;
}
