// Attribution amounts split by Datanet. An inference's share for a contributor is the sum of the
// weights of their records among its matched spans, so each record's part of the share (its
// weight / the share's weight × the share's amount) belongs to the record's Datanet. An inference
// that matched no span is shared by training bytes, which the stored row does not split by record:
// it counts toward the Datanet when its model version was trained on that Datanet alone, and
// toward none (datanet_id null) otherwise.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../connect";
import { walletForms, type Contributor } from "./attribution-dashboards";
import { rowsOf } from "./raw";

const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/**
 * Rows (attribution_id, epoch, model_id, org_id, contributor_key, contributor_id,
 * contributor_wallet, datanet_id, amount numeric) for the attributions `a` and shares `s` that
 * `filter` keeps (it names them by those aliases).
 */
function datanetSplit(filter: SQL): SQL {
  return sql`
    select a.id as attribution_id, a.epoch, a.model_id, a.org_id, s.contributor_key, s.contributor_id, s.contributor_wallet, d.datanet_id,
           s.amount * (sum((r->>'weight')::float8) / s.weight)::numeric as amount
    from inference_attributions a
    join inference_attribution_shares s on s.attribution_id = a.id
    cross join lateral jsonb_array_elements(a.spans) sp
    cross join lateral jsonb_array_elements(sp->'records') r
    left join datanet_records d on d.id = case when r->>'id' ~* ${UUID} then (r->>'id')::uuid end
    where a.method = 'spans' and s.weight > 0
      and s.contributor_key = coalesce(r->>'contributorId', '') || '|' || coalesce(r->>'contributorWallet', '')
      and ${filter}
    group by a.id, a.epoch, a.model_id, a.org_id, s.contributor_key, s.contributor_id, s.contributor_wallet, s.amount, s.weight, d.datanet_id
    union all
    select a.id, a.epoch, a.model_id, a.org_id, s.contributor_key, s.contributor_id, s.contributor_wallet,
           (select case when count(distinct dv.datanet_id) = 1 then (array_agg(dv.datanet_id))[1] end
              from fine_tune_datasets fd join datanet_versions dv on dv.id = fd.datanet_version_id
             where fd.fine_tune_id = a.fine_tune_id),
           s.amount
    from inference_attributions a
    join inference_attribution_shares s on s.attribution_id = a.id
    where a.method = 'fallback' and ${filter}`;
}

function ownSharesRaw(me: Contributor): SQL {
  if (!me.wallet) return sql`s.contributor_id = ${me.userId}`;
  return sql`(s.contributor_id = ${me.userId} or s.contributor_wallet in (${sql.join(walletForms(me.wallet).map((w) => sql`${w}`), sql`, `)}))`;
}

/** The contributor's earnings in the window per Datanet of their matched records; `datanetId` null: not split by Datanet. */
export async function contributorEarningsByDatanet(db: Db, me: Contributor, sinceEpoch: number) {
  return rowsOf<{ datanetId: string | null; name: string | null; slug: string | null; orgSlug: string | null; member: boolean; amount: string }>(
    db,
    sql`
      select x.datanet_id::text as "datanetId", dn.name, dn.slug, o.slug as "orgSlug", (m.user_id is not null) as member, round(sum(x.amount))::text as amount
      from (${datanetSplit(sql`${ownSharesRaw(me)} and a.epoch >= ${sinceEpoch}`)}) x
      left join datanets dn on dn.id = x.datanet_id
      left join organizations o on o.id = dn.org_id
      left join memberships m on m.org_id = dn.org_id and m.user_id = ${me.userId}
      group by x.datanet_id, dn.name, dn.slug, o.slug, m.user_id
      order by sum(x.amount) desc`,
  );
}

/** Attributions of model versions trained on a version of the Datanet, in the window. */
const trainedOn = (datanetId: string, sinceEpoch: number) => sql`a.epoch >= ${sinceEpoch} and a.fine_tune_id in (
  select fd.fine_tune_id from fine_tune_datasets fd join datanet_versions dv on dv.id = fd.datanet_version_id where dv.datanet_id = ${datanetId})`;

/** What the Datanet's records earned per epoch, and what models trained on it earned in answers that matched no span and were not split. */
export async function datanetEarningsByEpoch(db: Db, datanetId: string, sinceEpoch: number) {
  return rowsOf<{ epoch: number; amount: string; unsplit: string; inferences: number }>(
    db,
    sql`
      select x.epoch::int as epoch,
             coalesce(round(sum(x.amount) filter (where x.datanet_id = ${datanetId})), 0)::text as amount,
             coalesce(round(sum(x.amount) filter (where x.datanet_id is null)), 0)::text as unsplit,
             (count(distinct x.attribution_id) filter (where x.datanet_id = ${datanetId}))::int as inferences
      from (${datanetSplit(trainedOn(datanetId, sinceEpoch))}) x
      group by x.epoch
      order by x.epoch`,
  );
}

/** The Datanet's contributors by what their records in it earned in the window. */
export async function datanetContributorEarnings(db: Db, datanetId: string, sinceEpoch: number, limit: number) {
  return rowsOf<{ contributorId: string | null; wallet: string | null; name: string | null; amount: string; inferences: number }>(
    db,
    sql`
      select x.contributor_id::text as "contributorId", x.contributor_wallet as wallet, u.name, round(sum(x.amount))::text as amount,
             count(distinct x.attribution_id)::int as inferences
      from (${datanetSplit(trainedOn(datanetId, sinceEpoch))}) x
      left join users u on u.id = x.contributor_id
      where x.datanet_id = ${datanetId}
      group by x.contributor_key, x.contributor_id, x.contributor_wallet, u.name
      order by sum(x.amount) desc, x.contributor_key
      limit ${limit}`,
  );
}

/** Models whose answers drew on the Datanet in the window; `member`: the viewer belongs to the model's org. */
export async function datanetEarningsByModel(db: Db, datanetId: string, sinceEpoch: number, viewerId: string) {
  return rowsOf<{ modelId: string; name: string; slug: string; orgSlug: string; member: boolean; amount: string; inferences: number }>(
    db,
    sql`
      select x.model_id::text as "modelId", md.name, md.slug, o.slug as "orgSlug", (m.user_id is not null) as member,
             round(sum(x.amount))::text as amount, count(distinct x.attribution_id)::int as inferences
      from (${datanetSplit(trainedOn(datanetId, sinceEpoch))}) x
      join models md on md.id = x.model_id
      join organizations o on o.id = md.org_id
      left join memberships m on m.org_id = md.org_id and m.user_id = ${viewerId}
      where x.datanet_id = ${datanetId}
      group by x.model_id, md.name, md.slug, o.slug, m.user_id
      order by sum(x.amount) desc`,
  );
}
