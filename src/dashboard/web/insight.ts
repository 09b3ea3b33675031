/** The Events and Sagas pages' shared stream (events per type, dead letters, sagas), open while one of them shows. */
import { useEffect, useState } from 'preact/hooks';
import type { DeadLetter, EventTypeStats, SagaRecord } from '../data/insight-types.js';

export type { ConsumerGroupStats, DeadLetter, EventTypeStats, SagaRecord, SagaStep } from '../data/insight-types.js';

export interface InsightState {
  events?: EventTypeStats[];
  deadLetters?: DeadLetter[];
  sagas?: SagaRecord[];
  failures: Record<string, string>;
}

export function useInsight(enabled: boolean): InsightState {
  const [state, setState] = useState<InsightState>({ failures: {} });
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/stream/insight');
    const on = (name: string, key: 'events' | 'deadLetters' | 'sagas') => source.addEventListener(name, (e) => {
      const data = JSON.parse((e as MessageEvent).data);
      setState((s) => {
        const { [name]: _, ...failures } = s.failures;
        return { ...s, [key]: data, failures };
      });
    });
    on('events', 'events');
    on('dead-letters', 'deadLetters');
    on('sagas', 'sagas');
    source.addEventListener('failure', (e) => {
      const { what, message } = JSON.parse((e as MessageEvent).data) as { what: string; message: string };
      setState((s) => ({ ...s, failures: { ...s.failures, [what]: message } }));
    });
    return () => source.close();
  }, [enabled]);
  return state;
}
