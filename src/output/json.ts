// NDJSON: one event per line, for scripts.
import type { EventBus } from './events.js';

export function attachJsonRenderer(bus: EventBus, write: (text: string) => void): () => void {
  return bus.on((event) => write(`${JSON.stringify(event)}\n`));
}
