// What the caller's org role lets them do on a Datanet's pages. The server enforces the
// same rules (server/datanets/uploads.ts, the admin tier on review and publish); these only
// decide which tabs and buttons to show.
type Role = string;
interface DatanetRules {
  status: string;
  visibility: string;
  contributionPolicy: string;
}

const atLeastMember = (role: Role) => role === "owner" || role === "admin" || role === "member";

export const canCurate = (role: Role) => role === "owner" || role === "admin";

export function canContribute(role: Role, datanet: DatanetRules): boolean {
  return datanet.status === "active" && (datanet.visibility === "public" || atLeastMember(role));
}

/** Whether the caller's own records skip review. */
export function autoAccepts(role: Role, datanet: DatanetRules): boolean {
  return canCurate(role) || (datanet.contributionPolicy === "auto_org" && atLeastMember(role));
}
