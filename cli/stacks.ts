// Reads the states of the Pulumi project in a directory the way Pulumi does: through the
// Automation API (`pulumi stack ls`, `pulumi stack export`), with the user's backend, login and
// passphrase settings.
import { existsSync } from "node:fs";
import * as path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import { CommandFailure } from "./command";
import { stackView, type StackView } from "./stackView";

/** One stack of the project: its view when its state could be read, else why not. */
export interface StackRead {
  readonly name: string;
  readonly view: StackView | undefined;
  readonly error: string | undefined;
}

export interface ProjectStates {
  /** The project's name; undefined when no Pulumi.yaml was found. */
  readonly project: string | undefined;
  /** The directory holding Pulumi.yaml. */
  readonly dir: string | undefined;
  readonly stacks: readonly StackRead[];
  /** Why the stacks could not be listed, if they could not. */
  readonly error: string | undefined;
}

/** The nearest directory at or above `dir` holding Pulumi.yaml (as the pulumi CLI looks for it). */
export function findProjectDir(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, "Pulumi.yaml")) || existsSync(path.join(d, "Pulumi.yml"))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * An Automation API failure in one line: what pulumi said after `error:` on stderr (the message
 * also repeats the command, its exit code and stdout).
 */
export function failureMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const stderr = /stderr: ([\s\S]*?)\n\s*err\?:/.exec(text)?.[1] ?? text;
  const said = /(?:^|\n)error: ([\s\S]*)/.exec(stderr)?.[1] ?? stderr;
  return said.replace(/\s*\n\s*/g, " ").trim();
}

async function workspaceAt(dir: string): Promise<{ ws: automation.LocalWorkspace; project: string }> {
  // Loaded only here: it is large, and `--help` or a usage error need none of it.
  const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof automation;
  const ws = await LocalWorkspace.create({ workDir: dir });
  return { ws, project: (await ws.projectSettings()).name };
}

/** One stack's exported state, as `pulumi stack export` prints it. */
export interface StackExport {
  readonly project: string;
  readonly dir: string;
  /** The stack's name as Pulumi lists it. */
  readonly stack: string;
  readonly exported: unknown;
}

/**
 * The state of stack `stack` of the project in `cwd`, or of its current stack (`pulumi stack
 * select`). Throws CommandFailure, in Pulumi's words, when there is no project, no such stack,
 * no current stack or the state cannot be read.
 */
export async function readStackExport(cwd: string, stack: string | undefined): Promise<StackExport> {
  const dir = findProjectDir(cwd);
  if (dir === undefined) {
    throw new CommandFailure(`no Pulumi project here (no Pulumi.yaml in ${cwd} or above)`);
  }
  try {
    const { ws, project } = await workspaceAt(dir);
    const name = stack ?? (await ws.stack())?.name;
    if (name === undefined) {
      throw new CommandFailure(
        `project ${project} (${dir}) has no current stack: pass --stack NAME, or run \`pulumi stack select\``,
      );
    }
    return { project, dir, stack: name, exported: await ws.exportStack(name) };
  } catch (e) {
    if (e instanceof CommandFailure) throw e;
    throw new CommandFailure(`cannot read the state: ${failureMessage(e)}`, { cause: e });
  }
}

/**
 * The states of the project in `cwd`: every stack, or only `only`. A stack whose state cannot be
 * read is listed with the reason; a `only` that does not exist is such a stack.
 */
export async function readProjectStates(cwd: string, only?: string): Promise<ProjectStates> {
  const dir = findProjectDir(cwd);
  if (dir === undefined) return { project: undefined, dir, stacks: [], error: undefined };
  let ws: automation.LocalWorkspace;
  let project: string;
  let names: string[];
  try {
    ({ ws, project } = await workspaceAt(dir));
  } catch (e) {
    return { project: undefined, dir, stacks: [], error: failureMessage(e) };
  }
  try {
    names = only !== undefined ? [only] : (await ws.listStacks()).map((s) => s.name);
  } catch (e) {
    return { project, dir, stacks: [], error: failureMessage(e) };
  }
  const stacks = await Promise.all(
    names.map(async (name): Promise<StackRead> => {
      try {
        return { name, view: stackView(name, project, await ws.exportStack(name)), error: undefined };
      } catch (e) {
        return { name, view: undefined, error: failureMessage(e) };
      }
    }),
  );
  return { project, dir, stacks, error: undefined };
}
