import type { CommandResult, Runner } from "../../provider/kernel/runner";
import { Ip } from "../../provider/kernel/ip";

/** One call a {@link ScriptedRunner} received: the full argv (program first) and stdin. */
export interface RecordedCall {
  readonly argv: readonly string[];
  readonly input: string | undefined;
}

/** A canned answer; omitted fields are empty output and exit 0. */
export type Answer = Partial<CommandResult>;

/**
 * A Runner for unit tests: records every call and answers from a script, in order, or from
 * `respond` (which sees the argv) when the script is empty. Without either it answers success.
 */
export class ScriptedRunner {
  readonly calls: RecordedCall[] = [];
  private readonly script: Answer[];

  constructor(
    script: readonly Answer[] = [],
    private readonly respond?: (argv: readonly string[]) => Answer,
  ) {
    this.script = [...script];
  }

  readonly runner: Runner = async (file, args, options) => {
    const argv = [file, ...args];
    this.calls.push({ argv, input: options?.input });
    const a = this.script.shift() ?? this.respond?.(argv) ?? {};
    return { stdout: a.stdout ?? "", stderr: a.stderr ?? "", exitCode: a.exitCode ?? 0 };
  };

  /** The argv of every call so far. */
  get argvs(): (readonly string[])[] {
    return this.calls.map((c) => c.argv);
  }
}

/** An Ip over a fresh ScriptedRunner. */
export function scriptedIp(script: readonly Answer[] = [], respond?: (argv: readonly string[]) => Answer) {
  const scripted = new ScriptedRunner(script, respond);
  return { ip: new Ip(scripted.runner), scripted };
}
