import { STATUS_CODES } from 'node:http';

/** One invalid field of a request, as listed in a validation problem's `errors`. */
export interface FieldError {
  /** JSON Pointer (RFC 6901) into the validated value, as a URI fragment: `#/address/zip`; `#` for the whole value. */
  readonly pointer: string;
  /** The same location as a dotted path: `address.zip`; empty for the whole value. */
  readonly field: string;
  /** What is wrong with it, for a person. */
  readonly detail: string;
}

export interface ProblemInit {
  /** HTTP status, 400-599. */
  readonly status: number;
  /** Short summary that does not change between occurrences. Default: the status phrase (`Not Found`). */
  readonly title?: string;
  /** Explanation of this occurrence, for the client. Never put internals here. */
  readonly detail?: string;
  /** URI identifying the problem type. Default `about:blank` (the status alone says it all). */
  readonly type?: string;
  /** URI reference for this occurrence. Default: the request path. */
  readonly instance?: string;
  /** Invalid fields, for validation problems. */
  readonly errors?: readonly FieldError[];
  /** Extra members to put in the body (RFC 9457 extension members). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** The underlying error, logged but never sent. */
  readonly cause?: unknown;
}

/** The JSON body of an `application/problem+json` response. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const BRAND = Symbol.for('msx.HttpProblem');

/**
 * An error that is meant for the client: throw it from a route and the
 * service answers with an RFC 9457 problem+json response carrying its
 * status, title and detail. Anything else thrown becomes a 500 with no
 * internals in the body.
 *
 * @example throw new HttpProblem({ status: 404, title: 'User not found', detail: `no user ${id}` });
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  readonly instance: string | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Brand so `isHttpProblem` works across two copies of the runtime (instanceof would not). */
  readonly [BRAND] = true;

  constructor(init: ProblemInit) {
    if (!Number.isInteger(init.status) || init.status < 400 || init.status > 599) {
      throw new RangeError(`HttpProblem status must be an integer 400-599, got ${String(init.status)}`);
    }
    const title = init.title ?? STATUS_CODES[init.status] ?? 'Error';
    super(init.detail ?? title, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HttpProblem';
    this.status = init.status;
    this.title = title;
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.instance = init.instance;
    this.errors = init.errors;
    this.extensions = init.extensions ?? {};
  }

  /** The response body; `instance` defaults to the given request path. */
  toDocument(defaultInstance?: string): ProblemDocument {
    const doc: ProblemDocument = { ...this.extensions, type: this.type, title: this.title, status: this.status };
    if (this.detail !== undefined) doc.detail = this.detail;
    const instance = this.instance ?? defaultInstance;
    if (instance !== undefined) doc.instance = instance;
    if (this.errors !== undefined) doc.errors = this.errors;
    return doc;
  }
}

/** True for an `HttpProblem`, even one made by another copy of the runtime. */
export function isHttpProblem(value: unknown): value is HttpProblem {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
