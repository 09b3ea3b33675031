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

/**
 * Renders the template folder `templates/<name>` with `data`. Files ending in
 * `.hbs` are rendered and lose the suffix; others are copied. Names starting
 * with `_` become dotfiles (`_gitignore` → `.gitignore`) so that npm packing
 * and editors leave the templates alone.
 */
export function renderTemplate(name: string, data: object, into = ''): PlannedFile[] {
  const root = join(TEMPLATES, name);
  return listFiles(root).map((file) => {
    const rel = relative(root, file).split(sep).map(toOutputName).join('/');
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
