// Server-sent events as OpenAI streams them: `data: <json>\n\n` events, ending with `data: [DONE]`.

/** Splits a byte stream into the `data` payloads of its events (comments and other fields ignored). */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = "";

  push(bytes: Uint8Array): string[] {
    this.buffer += this.decoder.decode(bytes, { stream: true });
    const events = this.buffer.split(/\r?\n\r?\n/);
    this.buffer = events.pop() ?? "";
    return events.flatMap((event) => {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
      return data.length ? [data.join("\n")] : [];
    });
  }
}

const encoder = new TextEncoder();
export const sseEvent = (data: unknown) => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
export const SSE_DONE = "[DONE]";
export const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" };
