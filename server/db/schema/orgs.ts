// Organizations, their members with a role, and pending email invites.
import { boolean, foreignKey, index, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";

export const orgRoles = ["owner", "admin", "member", "viewer"] as const;
export const orgRole = pgEnum("org_role", orgRoles);
export type OrgRole = (typeof orgRoles)[number];

export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** The org created with an account; it cannot be deleted. */
    personal: boolean("personal").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("organizations_slug_key").on(t.slug)],
);

export const memberships = pgTable(
  "memberships",
  {
    orgId: uuid("org_id").notNull(),
    userId: uuid("user_id").notNull(),
    role: orgRole("role").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "memberships_pkey", columns: [t.orgId, t.userId] }),
    index("memberships_user_id_idx").on(t.userId),
    foreignKey({ name: "memberships_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "memberships_user_id_fkey", columns: [t.userId], foreignColumns: [users.id] }).onDelete("cascade"),
  ],
);

export const invites = pgTable(
  "invites",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    email: text("email").notNull(),
    role: orgRole("role").notNull(),
    /** sha256 of the link token; the token itself is only ever shown to the inviter. */
    tokenHash: text("token_hash").notNull(),
    invitedBy: uuid("invited_by"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedBy: uuid("accepted_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("invites_token_hash_key").on(t.tokenHash),
    index("invites_org_id_idx").on(t.orgId),
    foreignKey({ name: "invites_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "invites_invited_by_fkey", columns: [t.invitedBy], foreignColumns: [users.id] }).onDelete("set null"),
    foreignKey({ name: "invites_accepted_by_fkey", columns: [t.acceptedBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);
