/** A mistake in what the user asked for: exit code 2 and one line, no stack trace. */
export class UsageError extends Error {}
