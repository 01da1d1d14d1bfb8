// What every subcommand returns, and the exit statuses they share.
import type { ParseArgsOptionsConfig } from "node:util";

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

/** What node's `parseArgs` gives a verb: its own options, and `--stack` and `--help`. */
export type ParsedValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/**
 * One verb of `pulumi-netns`: dispatch, option parsing, its `--help` and its line in the
 * top-level help all come from this one entry, so a verb is added in one place.
 */
export interface Verb<Options, Sources> {
  readonly name: string;
  /** Its lines under "Commands:" in `pulumi-netns --help`, wrapped, without the name. */
  readonly summary: string;
  /** `pulumi-netns NAME --help`, also printed under a usage error. */
  readonly help: string;
  /** Its own options in `parseArgs`' terms; `--stack` and `--help` are every verb's. */
  readonly options: ParseArgsOptionsConfig;
  /** The verb's options from the parsed command line; a wrong line throws {@link UsageError}. */
  parse(values: ParsedValues, cwd: string): Options;
  // A method, not a property: its parameter is then bivariant, so verbs of different option
  // types share one table, and each verb's own `parse` is all that ever feeds its `run`.
  run(options: Options, sources: Sources): Promise<CommandResult>;
}
