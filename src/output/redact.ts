// Secrets are registered once and masked in every sink (screen, NDJSON, log file).
export const MASK = '********';

// Join tokens, passphrases and passwords shorter than this are still masked; an empty one is ignored.
export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length === 0 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    // Longest first, so a secret that contains another is masked whole.
    const alternatives = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(alternatives.join('|'), 'g');
  }

  redact(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, MASK);
  }

  get size(): number {
    return this.secrets.size;
  }
}
