-- Every change to what authenticates an API key (revoked, expired, deleted with its org, limits,
-- deployment scope) is announced on the channel api_key_changes with the key's id, so each
-- server process drops its cached copy of that key (server/serving/api-key-cache.ts).
-- last_used_at is left out: it changes once a minute per key and decides nothing.
CREATE FUNCTION "notify_api_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('api_key_changes', COALESCE(NEW.id, OLD.id)::text);
  ELSE
    PERFORM pg_notify('api_key_changes', COALESCE(NEW.key_id, OLD.key_id)::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_changed" AFTER UPDATE ON "api_keys" FOR EACH ROW
  WHEN ((OLD.org_id, OLD.token_hash, OLD.all_deployments, OLD.requests_per_minute, OLD.tokens_per_minute, OLD.expires_at, OLD.revoked_at)
    IS DISTINCT FROM (NEW.org_id, NEW.token_hash, NEW.all_deployments, NEW.requests_per_minute, NEW.tokens_per_minute, NEW.expires_at, NEW.revoked_at))
  EXECUTE FUNCTION "notify_api_key_change"();
--> statement-breakpoint
CREATE TRIGGER "api_keys_deleted" AFTER DELETE ON "api_keys" FOR EACH ROW EXECUTE FUNCTION "notify_api_key_change"();
--> statement-breakpoint
CREATE TRIGGER "api_key_deployments_changed" AFTER INSERT OR UPDATE OR DELETE ON "api_key_deployments" FOR EACH ROW EXECUTE FUNCTION "notify_api_key_change"();
