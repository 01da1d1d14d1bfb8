// `pulumi-netns ls`: every object on the host that carries a pulumi-netns mark, grouped by
// project, stack and stack instance, with whether its stack's state knows it.
import type { Inventory } from "../provider/kernel/inventory";
import type { CommandResult } from "./command";
import { classify, type Entry } from "./owners";
import { columns, describeObject, describeOwner, entryJson, groupKey, groupTitle } from "./report";
import type { ProjectStates } from "./stacks";
import type { StackView } from "./stackView";

export const lsHelp = `Usage: pulumi-netns ls [--stack NAME] [--json]

Lists every object on this host that carries a pulumi-netns mark: namespaces, links (veth ends,
bridges, taps), routes, and the records under /run/pulumi-netns. They are grouped by project,
stack and stack instance, and each one says whether its stack's state knows it:

  in state       the stack's state holds it
  ORPHAN         it is the stack's (by the stack instance in its mark), the state does not hold it:
                 \`pulumi-netns gc --stack NAME\` removes it
  pending        its resource has a pending operation (an update runs, or a killed one left it)
  in progress    a claim younger than a minute of a stack whose state has a pending operation
                 (or was not read): a create is running
  state unknown  no state read here holds its stack instance (another project, a lost state)
  owner unknown  it shows a sign of pulumi-netns (device group, tap staging name, protocol 110)
                 but no provable owner; pulumi-netns never removes it

States are read the way Pulumi reads them (\`pulumi stack ls\`, \`pulumi stack export\`) for the
project in the current directory (or above): every stack, or only --stack NAME. Run it where
\`pulumi up\` runs, with the same backend and passphrase settings, as root.

Options:
  --stack NAME  read only this stack's state
  --json        print a JSON report instead of text
  -h, --help    print this help

The engine records a pending operation in the state before each create; a run with
PULUMI_SKIP_CHECKPOINTS=true records nothing, so while one runs its new objects show as ORPHAN.

Exit status: 0 listed; 1 a state or the host could not be read (what could be read is listed);
2 usage error.`;

export interface LsOptions {
  readonly stack: string | undefined;
  readonly json: boolean;
  readonly cwd: string;
}

/** Where ls reads from: the project's states and the host (the tests pass their own). */
export interface Sources {
  readStates(cwd: string, only: string | undefined): Promise<ProjectStates>;
  takeInventory(): Promise<Inventory>;
  readonly now?: number;
}

export async function ls(options: LsOptions, sources: Sources): Promise<CommandResult> {
  const states = await sources.readStates(options.cwd, options.stack);
  const inventory = await sources.takeInventory();
  const views = states.stacks.flatMap((s) => (s.view ? [s.view] : []));
  // A stack with no pending operation runs nothing (the engine records one before each create),
  // so a fresh claim of its instance is a killed run's.
  const settled = views.filter((v) => v.pendingOperations === 0).map((v) => v.name);
  const entries = classify(inventory, views, { now: sources.now, settled });
  const failed = states.error !== undefined || states.stacks.some((s) => s.error !== undefined);
  const stdout = options.json ? JSON.stringify(lsJson(states, entries), null, 2) : lsText(states, entries);
  return { exitCode: failed ? 1 : 0, stdout, stderr: "" };
}

/** Entries by group (project, stack, instance), groups with an owner first, in a stable order. */
export function grouped(entries: readonly Entry[]): { title: string; key: string; entries: Entry[] }[] {
  const groups = new Map<string, { title: string; key: string; entries: Entry[] }>();
  for (const e of entries) {
    const key = groupKey(e);
    const group = groups.get(key) ?? { title: groupTitle(e), key, entries: [] };
    group.entries.push(e);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) =>
    a.key === "" ? 1 : b.key === "" ? -1 : a.title.localeCompare(b.title),
  );
}

/** Proofs not worth a word: the object carries the mark itself. */
const plainProofs = new Set(["alias", "loopback alias", "protocol 110 and its record", "record"]);

const statusWord = (e: Entry) => (e.status === "orphan" ? "ORPHAN" : e.status);

function stackLine(view: StackView): string {
  const instance =
    view.instances.length > 0
      ? `stack instance ${view.instances.join(", ")}`
      : "no stack instance in its state";
  const pending = view.pendingOperations > 0 ? `, ${view.pendingOperations} pending operations` : "";
  return `${instance}${pending}`;
}

export function lsText(states: ProjectStates, entries: readonly Entry[]): string {
  const out: string[] = [];
  if (states.project === undefined && states.error !== undefined) {
    out.push(`Could not read the Pulumi project in ${states.dir ?? "."}: ${states.error}`);
  } else if (states.project === undefined) {
    out.push("No Pulumi project here (no Pulumi.yaml in this directory or above): no state was read.");
  } else {
    out.push(`Stacks of project ${states.project} (${states.dir}):`);
    if (states.error !== undefined) out.push(`  could not list them: ${states.error}`);
    out.push(
      ...columns(
        states.stacks.map((s) => [s.name, s.view ? stackLine(s.view) : `state unreadable: ${s.error ?? ""}`]),
      ),
    );
  }
  out.push("");
  if (entries.length === 0) {
    out.push("Nothing on this host carries a pulumi-netns mark.");
    return out.join("\n");
  }
  for (const group of grouped(entries)) {
    const stacks = [...new Set(group.entries.map((e) => e.stack).filter((s) => s !== undefined))];
    out.push(`${group.title}${stacks.length > 0 ? ` (stack ${stacks.join(", ")})` : ""}`);
    out.push(
      ...columns(
        group.entries.map((e) => [
          statusWord(e),
          describeObject(e.object),
          describeOwner(e),
          [e.note, plainProofs.has(e.proof) ? undefined : e.proof].filter(Boolean).join("; "),
        ]),
      ),
    );
    out.push("");
  }
  out.push(summary(entries));
  return out.join("\n");
}

function summary(entries: readonly Entry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(statusWord(e), (counts.get(statusWord(e)) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${status}`);
  const lines = [`${entries.length} objects: ${parts.join(", ")}.`];
  const orphansByStack = new Map<string, number>();
  for (const e of entries) {
    if (e.status === "orphan" && e.stack !== undefined) {
      orphansByStack.set(e.stack, (orphansByStack.get(e.stack) ?? 0) + 1);
    }
  }
  for (const [stack, n] of orphansByStack) {
    lines.push(`\`npx pulumi-netns gc --stack ${stack}\` removes the ${n} orphans of stack ${stack}.`);
  }
  return lines.join("\n");
}

export function lsJson(states: ProjectStates, entries: readonly Entry[]): Record<string, unknown> {
  return {
    project: states.project ?? null,
    projectDir: states.dir ?? null,
    error: states.error ?? null,
    stacks: states.stacks.map((s) => ({
      name: s.name,
      readable: s.view !== undefined,
      instances: s.view?.instances ?? [],
      pendingOperations: s.view?.pendingOperations ?? null,
      error: s.error ?? null,
    })),
    groups: grouped(entries).map((g) => {
      const owner = g.entries[0]?.owner;
      return {
        title: g.title,
        project: owner?.project ?? null,
        stack: owner?.stack ?? null,
        instance: owner?.instance ?? null,
        objects: g.entries.map(entryJson),
      };
    }),
  };
}
