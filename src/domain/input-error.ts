/** A user's mistake: printed as given (one line per problem), no stack trace, exit status 2. */
export class InputError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'InputError';
  }
}
