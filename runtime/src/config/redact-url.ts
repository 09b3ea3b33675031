/**
 * A connection URL without its password, for messages, logs and error data:
 * the bus and the database both report where they failed to connect, and
 * neither may leak the credential doing so.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
