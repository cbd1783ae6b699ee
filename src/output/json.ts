// NDJSON: one event per line, for scripts.
import type { EventBus } from './events.js';

export function attachJsonRenderer(bus: EventBus, write: (text: string) => void): () => void {
  // A failed command's text (a script, often) is for the log file only.
  return bus.on((event) => {
    if (event.type !== 'command') write(`${JSON.stringify(event)}\n`);
  });
}
