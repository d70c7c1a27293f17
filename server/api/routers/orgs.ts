// Organizations: the caller's list, create, settings, delete, leave, and members.
import {
  changeMemberRole,
  changeRoleInput,
  createOrganization,
  createOrgInput,
  deleteOrganization,
  leaveOrganization,
  removeMemberInput,
  removeOrgMember,
  updateOrganization,
  updateOrgInput,
} from "@/server/orgs/orgs";
import { listMembers, listOrgsForUser } from "@/server/db/queries/orgs";
import { orgProcedure, protectedProcedure, router } from "../trpc";

export const orgsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listOrgsForUser(ctx.db, ctx.userId)),
  create: protectedProcedure.input(createOrgInput).mutation(({ ctx, input }) => createOrganization(ctx.db, ctx.userId, input)),
  get: orgProcedure("viewer").query(({ ctx }) => ({ ...ctx.org, role: ctx.role })),
  update: orgProcedure("admin")
    .input(updateOrgInput)
    .mutation(({ ctx, input }) => updateOrganization(ctx.db, ctx, input)),
  delete: orgProcedure("owner").mutation(({ ctx }) => deleteOrganization(ctx.db, ctx)),
  leave: orgProcedure("viewer").mutation(({ ctx }) => leaveOrganization(ctx.db, ctx)),
  members: orgProcedure("viewer").query(({ ctx }) => listMembers(ctx.db, ctx.org.id)),
  changeRole: orgProcedure("admin")
    .input(changeRoleInput)
    .mutation(({ ctx, input }) => changeMemberRole(ctx.db, ctx, input)),
  removeMember: orgProcedure("admin")
    .input(removeMemberInput)
    .mutation(({ ctx, input }) => removeOrgMember(ctx.db, ctx, input)),
});
