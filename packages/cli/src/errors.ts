/** A mistake in what the user asked for: exit code 2 and one line, no stack trace. */
export class UsageError extends Error {}

/** Input the command cannot use (a missing or malformed file, a wrong shape): also exit code 2. */
export class InputError extends UsageError {}
