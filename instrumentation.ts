// Next.js calls register() once when a server process starts: it starts the background loops and
// hands the /v1 API's handler to the app server (scripts/serve.mjs).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServices } = await import("./server/services");
  startServices();
  const { provideV1Api } = await import("./server/serving/app-v1-api");
  provideV1Api();
}
