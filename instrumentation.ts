// Next.js calls register() once when a server process starts: it hands the /v1 API's handler to
// the app server (scripts/serve.mjs), first, so /v1 answers even if a background loop fails to
// start, then starts the background loops.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { provideV1Api } = await import("./server/serving/app-v1-api");
  provideV1Api();
  const { startServices } = await import("./server/services");
  startServices();
}
