// Role order and the rules for who may grant or take away which role.
import type { OrgRole } from "@/server/db/schema";

const rank: Record<OrgRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

export function hasRole(actual: OrgRole, minimum: OrgRole): boolean {
  return rank[actual] >= rank[minimum];
}

/** Owners manage everyone; admins manage admins, members and viewers. */
export function canManage(actor: OrgRole, targetRole: OrgRole): boolean {
  return actor === "owner" || (actor === "admin" && targetRole !== "owner");
}
