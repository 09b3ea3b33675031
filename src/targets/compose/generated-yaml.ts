import { Document } from 'yaml';

/**
 * Serialises an object as YAML with a header comment. YAML 1.1 rules decide
 * what is quoted, because docker-compose v1 reads with a YAML 1.1 parser:
 * an unquoted `yes`, `on` or `no` there is a boolean, not a string. Lines
 * are never folded, so a long value (the gateway's JSON config) stays one
 * line that a reader can grep.
 */
export function generatedYaml(value: unknown, header: string): string {
  const document = new Document(value, { version: '1.1', aliasDuplicateObjects: false });
  document.commentBefore = header.split('\n').map((line) => ` ${line}`).join('\n');
  return document.toString({ lineWidth: 0 });
}
