import { CliError, failure } from '../../errors/cli-error.js';

/** The API server's answer to a failed request (a `Status` object), as far as msx reads it. */
export interface ApiStatus {
  readonly code: number;
  readonly reason: string | undefined;
  readonly message: string;
  readonly causes: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
}

/**
 * Reads an error from @kubernetes/client-node: an ApiException carries the
 * HTTP code and the Status body (as text or parsed); anything else is a
 * connection problem. Branches on fields, never on message text.
 */
export function apiStatus(error: unknown): ApiStatus | undefined {
  if (typeof error !== 'object' || error === null || typeof (error as { code?: unknown }).code !== 'number') return undefined;
  const { code, body } = error as { code: number; body?: unknown };
  let status: Record<string, unknown> = {};
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body) as Record<string, unknown>;
    } catch {
      status = { message: body };
    }
  } else if (body && typeof body === 'object') status = body as Record<string, unknown>;
  const details = (status.details ?? {}) as { causes?: ApiStatus['causes'] };
  return {
    code,
    reason: typeof status.reason === 'string' ? status.reason : undefined,
    message: typeof status.message === 'string' ? status.message : `HTTP ${code}`,
    causes: Array.isArray(details.causes) ? details.causes : [],
  };
}

/** Whether the API server said the object (or its namespace) does not exist. */
export function isNotFound(error: unknown): boolean {
  return apiStatus(error)?.code === 404;
}

/** Turns an API or connection error into what the user reads, with what to do next. */
export function kubeFailure(what: string, error: unknown, server: string): CliError {
  if (error instanceof CliError) return error;
  const status = apiStatus(error);
  if (status) {
    if (status.code === 401) return failure(`${what}: the API server at ${server} did not accept the credentials (401)`, 'refresh them (log in to the cluster again) or pick another context with --context', error);
    if (status.code === 403) return failure(`${what}: forbidden (403): ${status.message}`, 'ask the cluster admin for the RBAC permission named above, or use another context', error);
    return failure(`${what}: ${status.message} (${status.code}${status.reason ? ` ${status.reason}` : ''})`, undefined, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return failure(`${what}: cannot reach the API server at ${server} (${message})`, 'check the cluster is up and the context is right: kubectl cluster-info, or msx deploy --context <name>', error);
}
