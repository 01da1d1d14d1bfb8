// What every subcommand returns, and the exit statuses they share.

/** Success. */
export const EXIT_OK = 0;
/** Something could not be read or removed; the output says what. */
export const EXIT_FAILURE = 1;
/** The command line was wrong; the output says how to call it. */
export const EXIT_USAGE = 2;

/** What a subcommand prints and how the process exits. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A wrong command line: printed with the subcommand's usage, exit status 2. */
export class UsageError extends Error {}

/** A failure before anything could be done (no project, an unreadable state): exit status 1. */
export class CommandFailure extends Error {}
