// Role names and what each may do, as shown in the members UI (the server enforces the same rules).
export const roleOptions = [
  { value: "owner", label: "Owner", text: "Everything, including deleting the organization." },
  { value: "admin", label: "Admin", text: "Manage members, settings and all resources." },
  { value: "member", label: "Member", text: "Create and run Datanets, models and deployments." },
  { value: "viewer", label: "Viewer", text: "Read-only access." },
] as const;

export type Role = (typeof roleOptions)[number]["value"];

/** Roles `actor` may assign; mirrors server/orgs/roles.ts canManage. */
export function assignableRoles(actor: string): Role[] {
  if (actor === "owner") return roleOptions.map((r) => r.value);
  if (actor === "admin") return ["admin", "member", "viewer"];
  return [];
}
