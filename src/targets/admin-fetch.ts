import type { AdminRequest, AdminResponse } from './target.js';

/** One admin call over plain HTTP to an instance at `baseUrl`; undefined when it does not answer in time. */
export async function adminFetch(baseUrl: string, request: AdminRequest): Promise<AdminResponse | undefined> {
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${request.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}
