/**
 * Example systems `msx new --example NAME` can generate. One table: the help
 * text, validation and availability all read it.
 */
export const EXAMPLES = {
  shop: {
    summary: 'the reference shop: gateway, users, products, payments, orders (saga, event-sourced), notifications',
    /**
     * The shop needs the event bus, sagas and the event store (issue 4). Until
     * they exist msx says so instead of generating a system that cannot work.
     */
    available: false,
    unavailableReason: 'it needs the event bus, the saga orchestrator and the event store, which are not in this version of msx yet',
  },
} as const;

export type ExampleName = keyof typeof EXAMPLES;
