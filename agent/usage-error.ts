/** A bad command line: the message names the option (an empty message asks for the usage text). */
export class UsageError extends Error {
  override name = 'UsageError';
}
