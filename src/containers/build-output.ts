/** One JSON message of the engine's build or push stream. */
export interface EngineMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly id?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string; readonly code?: number };
  readonly aux?: { readonly ID?: string };
}

/** The step a build failed in, with what that step printed. */
export interface FailedStep {
  /** `Step 4/12 : RUN npm ci …`, or undefined when the build failed before its first step. */
  readonly step: string | undefined;
  readonly output: readonly string[];
  readonly error: string;
}

const STEP = /^Step \d+\/\d+ : /;
/** Lines of the legacy builder's own bookkeeping, not the step's output. */
const NOISE = /^( ---> |Removing intermediate container |Successfully (built|tagged) )/;

/**
 * Follows the legacy builder's output (`{stream}` lines, `Step n/m : …`
 * headers, `{error}` at the end) and keeps the current step's own lines, so
 * a failure can show exactly what the failing step printed.
 */
export class BuildOutput {
  #step: string | undefined;
  #lines: string[] = [];
  #partial = '';
  #error: string | undefined;
  #cached = 0;
  #steps = 0;

  /** Feeds one message; returns the complete lines it carried (for progress). */
  push(message: EngineMessage): string[] {
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      this.#error = message.errorDetail?.message ?? message.error;
      return [];
    }
    if (message.stream === undefined) return [];
    const text = this.#partial + message.stream;
    const parts = text.split(/\r?\n/);
    this.#partial = parts.pop() ?? '';
    const lines: string[] = [];
    for (const raw of parts) {
      const line = raw.trimEnd();
      if (line === '') continue;
      if (STEP.test(line)) {
        this.#step = line;
        this.#lines = [];
        this.#steps += 1;
      } else if (line === ' ---> Using cache') {
        this.#cached += 1;
      } else if (!NOISE.test(line)) {
        this.#lines.push(line);
        if (this.#lines.length > 400) this.#lines.splice(0, this.#lines.length - 400);
      }
      lines.push(line);
    }
    return lines;
  }

  get failed(): FailedStep | undefined {
    if (this.#error === undefined) return undefined;
    const output = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
    return { step: this.#step, output, error: this.#error };
  }

  /** Steps run and steps the engine took from its cache. */
  get counts(): { steps: number; cached: number } {
    return { steps: this.#steps, cached: this.#cached };
  }
}
