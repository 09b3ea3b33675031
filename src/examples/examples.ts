import type { ManifestInput } from '../manifest/schema.js';
import { shopManifest } from './shop-manifest.js';

/**
 * Example systems `msx new --example NAME` can generate. One table: the help
 * text, the interactive choice, validation and availability all read it.
 * An example's services are rendered from `templates/examples/<name>/<service>/`
 * instead of the templates of their kind.
 */
export const EXAMPLES = {
  shop: {
    summary: 'the reference shop: gateway, users, products, payments, orders (saga, event-sourced), notifications',
    manifest: shopManifest as (system: string) => ManifestInput,
    /** An example whose services are not complete says so instead of generating a system that cannot work. */
    available: true,
    unavailableReason: '',
  },
} as const;

export type ExampleName = keyof typeof EXAMPLES;
