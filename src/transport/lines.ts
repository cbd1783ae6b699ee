// Remote output arrives in arbitrary chunks; consumers want whole lines, as they arrive.
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    if (chunk.length === 0) return;
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  /** Emits a last line that had no newline. */
  flush(): void {
    if (this.partial.length > 0) {
      const last = this.partial;
      this.partial = '';
      this.onLine(last);
    }
  }
}
