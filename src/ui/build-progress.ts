import { Listr, type ListrTaskWrapper } from 'listr2';
import type { BuiltImage } from '../containers/build-images.js';
import { formatBytes } from '../targets/instance-format.js';

interface Entry {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  task: ListrTaskWrapper<unknown, never, never> | undefined;
  title: string;
  output: string | undefined;
  settled: boolean;
}

/** `12.3 s`, `850 ms`: a build's duration with its unit. */
export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Progress of `msx build`, one line per service: waiting, the step it is at
 * (with the engine's last line under it on a terminal), then a tick with
 * its size and time, "up to date" when nothing was built, or a cross.
 * listr2 draws it on a terminal; elsewhere it prints one line per service.
 */
export class BuildProgressView {
  readonly #entries = new Map<string, Entry>();
  #run: Promise<unknown> = Promise.resolve();

  constructor(services: readonly string[]) {
    for (const service of services) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const entry: Entry = {
        done,
        resolve: () => { entry.settled = true; resolve(); },
        reject: (error) => { entry.settled = true; reject(error); },
        task: undefined,
        title: `${service}  waiting`,
        output: undefined,
        settled: false,
      };
      this.#entries.set(service, entry);
    }
    const listr = new Listr(
      services.map((service) => ({
        title: `${service}  waiting`,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const entry = this.#entries.get(service)!;
          entry.task = task;
          task.title = entry.title;
          await entry.done;
          task.title = entry.title;
        },
        rendererOptions: { outputBar: 1, persistentOutput: false } as never,
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: process.stdout.isTTY ? 'default' : 'simple',
        rendererOptions: { collapseErrors: false },
      } as never,
    );
    this.#run = listr.run().catch(() => undefined);
  }

  onStart(service: string, rebuilding: boolean): void {
    this.#set(service, rebuilding ? `${service}  building` : `${service}  checking`);
  }

  onProgress(service: string, line: string): void {
    const step = /^Step (\d+\/\d+) : (.*)$/.exec(line);
    if (step) this.#set(service, `${service}  building: step ${step[1]} ${truncate(step[2]!, 60)}`);
    const entry = this.#entries.get(service);
    if (entry?.task && process.stdout.isTTY) entry.task.output = truncate(line, 100);
  }

  onDone(image: BuiltImage): void {
    const entry = this.#entries.get(image.service);
    if (!entry) return;
    const what = image.rebuilt ? `built ${formatBytes(image.sizeBytes)} in ${formatSeconds(image.durationMs)}` : `up to date (${formatBytes(image.sizeBytes)})`;
    this.#set(image.service, `${image.service}  ${what}  ${image.tag.contentTag}${image.pushed ? `  pushed ${image.pushed}` : ''}`);
    entry.resolve();
  }

  /** Marks the service being built as failed and every other unfinished one as not built. */
  onFailure(service: string | undefined): void {
    for (const [name, entry] of this.#entries) {
      if (entry.settled) continue;
      if (name === service) {
        this.#set(name, `${name}  failed`);
        entry.reject(new Error(entry.title));
      } else {
        this.#set(name, `${name}  not built`);
        entry.reject(new Error(entry.title));
      }
    }
  }

  /** Resolves once the view has drawn its last frame. */
  async finish(): Promise<void> {
    await this.#run;
  }

  #set(service: string, title: string): void {
    const entry = this.#entries.get(service);
    if (!entry || entry.settled) return;
    entry.title = title;
    if (entry.task) entry.task.title = title;
  }
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
