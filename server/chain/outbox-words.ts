// What an outbox row is, in words, by its idempotency key: a row that waits on a failed one fails
// too, and its reason names what it waited on the way its page would ("the model version's
// registration"), not by the key.
import "server-only";
import { DATANET_REGISTRATION_KEY_PREFIX, VERSION_COMMIT_KEY_PREFIX } from "./datanet-commits";
import { EPOCH_COMMIT_KEY_PREFIX, EPOCH_FUND_KEY_PREFIX } from "./epoch-commits";
import { MODEL_REGISTRATION_KEY_PREFIX } from "./model-registrations";

/** Each key prefix, as what a row waiting on it waits for. */
const waitedOn: [prefix: string, words: string][] = [
  [DATANET_REGISTRATION_KEY_PREFIX, "the Datanet's registration"],
  [VERSION_COMMIT_KEY_PREFIX, "the commit of a Datanet version it trained on"],
  [MODEL_REGISTRATION_KEY_PREFIX, "the model version's registration"],
  [EPOCH_COMMIT_KEY_PREFIX, "the epoch's commit"],
  [EPOCH_FUND_KEY_PREFIX, "the epoch's funding"],
];

/** The row with key `key`, as the rows waiting on it would name it; an unknown key is itself. */
export function waitedOnWords(key: string): string {
  return waitedOn.find(([prefix]) => key.startsWith(prefix))?.[1] ?? key;
}
