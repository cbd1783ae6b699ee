// Line output for pipes and CI: every line names its host.
import type { EventBus } from './events.js';
import { plainLines } from './format.js';

export function attachPlainRenderer(bus: EventBus, write: (text: string) => void): () => void {
  return bus.on((event) => {
    for (const line of plainLines(event)) write(`${line}\n`);
  });
}
