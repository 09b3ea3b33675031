import type { Dispatcher } from 'undici';

/**
 * Reads an answer's body: parsed JSON for `application/json` and
 * `application/*+json` (problem+json included), text otherwise, `undefined`
 * when empty. A body that claims JSON but does not parse is returned as text
 * rather than thrown: the status is what the caller needs, and the text
 * helps debugging.
 */
export async function readResponseBody(body: Dispatcher.ResponseData['body'], contentType: string | string[] | undefined): Promise<unknown> {
  const text = await body.text();
  if (text === '') return undefined;
  const type = (Array.isArray(contentType) ? contentType[0] : contentType)?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
