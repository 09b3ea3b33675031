/**
 * A steady stream of requests in the background, for checks that an
 * operation (a scale-down, a rolling restart) loses none of them. Every
 * answer that is not `expectStatus`, and every error, is a failure.
 */
export interface RequestLoop {
  /** Stops sending and resolves once the last request has settled. */
  stop(): Promise<{ ok: number; failures: string[] }>;
}

export function startRequestLoop(send: () => Promise<Response>, intervalMs: number, expectStatus = 200): RequestLoop {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const response = await send();
        await response.arrayBuffer();
        if (response.status === expectStatus) ok++;
        else failures.push(String(response.status));
      } catch (error) {
        failures.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}
