// A worker that speaks the real worker protocol (/api/worker/v1) from the test process, so the
// Models and Workers pages can be driven through every run state in seconds without Python.
// The real worker's end-to-end test is finetune-worker.spec.ts.

export interface LeasedJob {
  id: string;
  leaseId: string;
  kind: "finetune" | "generate";
  payload: { kind: string; hyperparameters?: { epochs: number } };
}

const cpu = { device: "cpu", gpuName: null, gpuMemoryGb: 0, models: ["tiny-llama"], kinds: ["finetune", "generate"] };

export class FakeWorker {
  private workerId = "";

  constructor(
    private readonly baseURL: string,
    private readonly token: string,
    readonly name = "fake-cpu-1",
  ) {}

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseURL}/api/worker/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  }

  async register() {
    ({ workerId: this.workerId } = await this.post<{ workerId: string }>("/register", { name: this.name, version: "0.1.0-test", capabilities: cpu }));
  }

  /** The next job for this worker; fails when none is queued. */
  async lease(): Promise<LeasedJob> {
    const { job } = await this.post<{ job: LeasedJob | null }>("/lease", { workerId: this.workerId, waitSeconds: 0 });
    if (!job) throw new Error("no job to lease");
    return job;
  }

  /** Reports `step` of `totalSteps` with a falling train loss, and an eval loss every 4th step. */
  async progress(job: LeasedJob, step: number, totalSteps: number) {
    const loss = 2.6 * Math.exp(-step / (totalSteps / 2)) + 0.4;
    const metrics = [{ step, name: "train_loss", value: loss }];
    if (step % 4 === 0) metrics.push({ step, name: "eval_loss", value: loss + 0.15 });
    return this.post<{ cancel: boolean }>(`/jobs/${job.id}/heartbeat`, {
      leaseId: job.leaseId,
      progress: { step, totalSteps, epoch: (step / totalSteps) * 3, loss, learningRate: 2e-4, tokensPerSecond: 2800, etaSeconds: (totalSteps - step) * 2 },
      metrics,
      checkpoint: null,
    });
  }

  async log(job: LeasedJob, level: "info" | "warn" | "error", message: string) {
    await this.post(`/jobs/${job.id}/events`, { leaseId: job.leaseId, events: [{ level, message }] });
  }

  private async upload(job: LeasedJob, name: string, bytes: string) {
    const { key, url } = await this.post<{ key: string; url: string }>(`/jobs/${job.id}/upload-url`, { leaseId: job.leaseId, name, contentType: null });
    const response = await fetch(url, { method: "PUT", body: bytes });
    if (!response.ok) throw new Error(`PUT ${name} answered ${response.status}`);
    return { name, key, sizeBytes: Buffer.byteLength(bytes) };
  }

  async completeFinetune(job: LeasedJob, totalSteps: number) {
    const adapter = [await this.upload(job, "adapter_config.json", '{"r":16}'), await this.upload(job, "adapter_model.safetensors", "weights")];
    const sample = (q: string, reference: string, base: string, tuned: string) => ({ prompt: [{ role: "user", content: q }], reference, base, tuned });
    await this.post(`/jobs/${job.id}/complete`, {
      leaseId: job.leaseId,
      result: {
        kind: "finetune",
        adapter,
        metrics: { trainLoss: 0.52, steps: totalSteps, epochs: 3, trainExamples: 24, trainTokens: 4800, trainSeconds: 42, truncatedExamples: 0 },
        evalReport: {
          examples: 6,
          baseLoss: 3.41,
          tunedLoss: 0.71,
          basePerplexity: 30.3,
          tunedPerplexity: 2.03,
          samples: [
            sample("What is a fever?", "A body temperature above 38 °C.", "Fever fever the the and", "A body temperature above 38 °C."),
            sample("What is a cough?", "A reflex that clears the airways.", "cough is a of of", "A reflex that clears the airways."),
          ],
        },
      },
    });
  }

  async answer(job: LeasedJob, base: string, tuned: string) {
    const output = (variant: string, text: string) => ({ variant, text, promptTokens: 12, completionTokens: text.split(" ").length, seconds: 0.42 });
    await this.post(`/jobs/${job.id}/complete`, { leaseId: job.leaseId, result: { kind: "generate", outputs: [output("base", base), output("tuned", tuned)] } });
  }

  async fail(job: LeasedJob, message: string) {
    await this.post(`/jobs/${job.id}/fail`, { leaseId: job.leaseId, message, retryable: false });
  }
}
