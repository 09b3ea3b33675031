import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../package-root.js';

/** A file to be written, relative to the system folder. */
export interface PlannedFile {
  readonly path: string;
  readonly content: string | Buffer;
  readonly mode?: number;
}

const TEMPLATES = join(PACKAGE_ROOT, 'templates');

// Handlebars renders source code here, not HTML: no escaping, and a missing
// field is a bug in msx that must fail loudly rather than render as "".
const handlebars = Handlebars.create();
handlebars.registerHelper('json', (value: unknown) => JSON.stringify(value));
const compiled = new Map<string, HandlebarsTemplateDelegate>();

// `routes.if-database.ts.hbs`: a file rendered only when `data.database` is
// true (`.unless-` when false), named without the condition. Whole files are
// chosen this way in the template's folder rather than by `{{#if}}` around a
// whole file, which would leave empty files behind.
const CONDITION = /\.(if|unless)-([A-Za-z]+)(?=\.)/;
// `001_create_{{table}}.sql`: a field of the data in a file name.
const NAME_FIELD = /\{\{(\w+)\}\}/g;

/**
 * Renders the template folder `templates/<name>` with `data`. Files ending in
 * `.hbs` are rendered and lose the suffix; others are copied. Names starting
 * with `_` become dotfiles (`_gitignore` → `.gitignore`) so that npm packing
 * and editors leave the templates alone. A name may carry a condition on a
 * boolean field (`.if-database`, `.unless-database`) and fields in braces.
 */
export function renderTemplate(name: string, data: object, into = ''): PlannedFile[] {
  const root = join(TEMPLATES, name);
  const fields = data as Record<string, unknown>;
  return listFiles(root).flatMap((file) => {
    const condition = CONDITION.exec(relative(root, file));
    if (condition) {
      const field = fields[condition[2]!];
      if (typeof field !== 'boolean') throw new Error(`template ${file}: "${condition[2]}" is not a boolean field of its data`);
      if (field !== (condition[1] === 'if')) return [];
    }
    const rel = relative(root, file).replace(CONDITION, '').replace(NAME_FIELD, (_, key: string) => {
      if (typeof fields[key] !== 'string') throw new Error(`template ${file}: "${key}" is not a string field of its data`);
      return fields[key] as string;
    }).split(sep).map(toOutputName).join('/');
    const target = into ? `${into}/${rel}` : rel;
    if (!file.endsWith('.hbs')) return { path: target, content: readFileSync(file) };
    let template = compiled.get(file);
    if (!template) {
      template = handlebars.compile(readFileSync(file, 'utf8'), { noEscape: true, strict: true });
      compiled.set(file, template);
    }
    return { path: target.slice(0, -'.hbs'.length), content: template(data) };
  });
}

export function templateExists(name: string): boolean {
  return existsSync(join(TEMPLATES, name));
}

function toOutputName(segment: string): string {
  return segment.startsWith('_') ? `.${segment.slice(1)}` : segment;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
