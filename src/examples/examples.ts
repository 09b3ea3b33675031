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
    /**
     * The shop needs the event bus, sagas and the event store. Until its
     * services are complete msx says so instead of generating a system that
     * cannot work.
     */
    available: false,
    unavailableReason: 'its services are still being written on top of the new outbox, saga and event store',
  },
} as const;

export type ExampleName = keyof typeof EXAMPLES;
