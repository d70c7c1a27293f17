// Next.js calls register() once when a server process starts: it starts the background loops.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServices } = await import("./server/services");
  startServices();
}
