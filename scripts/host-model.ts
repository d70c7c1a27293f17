// npm run models:host -- <org>/<name> <folder>
// Copies a base model folder into the configured blob store (the local folder, or S3 with the
// S3_* settings) so workers started without Hub access can fine-tune on it (server/jobs/hosted-models.ts).
import { catalog } from "@/server/finetune/catalog";
import { authSecret, env } from "@/server/env";
import { hostModel } from "@/server/jobs/hosted-models";
import { createBlobStore } from "@/server/storage";

const [modelId, folder] = process.argv.slice(2);
if (!modelId || !folder) {
  console.error("usage: npm run models:host -- <org>/<name> <folder saved with save_pretrained>");
  process.exit(2);
}
if (!catalog.some((m) => m.id === modelId)) {
  console.error(`models:host: ${modelId} is not in the base-model catalog (server/finetune/catalog.ts); one of:\n  ${catalog.map((m) => m.id).join("\n  ")}`);
  process.exit(2);
}
async function main(modelId: string, folder: string) {
  const store = createBlobStore({ ...env, secret: authSecret() });
  const names = await hostModel(store, modelId, folder, (name, size) => console.log(`  ${name} (${(size / 2 ** 20).toFixed(1)} MiB)`));
  console.log(`models:host: ${modelId} hosted in the ${store.kind} blob store (${names.length} files)`);
}

main(modelId, folder).catch((error: unknown) => {
  console.error(`models:host: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
