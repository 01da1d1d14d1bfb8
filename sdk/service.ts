import * as pulumi from "@pulumi/pulumi";
import type { ServiceInputs } from "../provider/schema/service";
import { serviceReferences } from "../provider/schema/references";
import type { ServiceOutputs } from "../provider/service";
import type { MadeDirectory, WrittenFile } from "../provider/kernel/service";
import { managedBy, type OutputSlots, type ResourceArgs } from "./common";
import { NetnsResource } from "./provider";

/** Inputs of a {@link Service}. */
/** `name` defaults to the resource name. */
export type ServiceArgs = ResourceArgs<Omit<ServiceInputs, "managedBy" | "name"> & { name?: string }>;

const serviceOutputs: OutputSlots<ServiceOutputs> = {
  namespace: undefined,
  name: undefined,
  command: undefined,
  environment: undefined,
  workingDirectory: undefined,
  user: undefined,
  group: undefined,
  directories: undefined,
  files: undefined,
  readiness: undefined,
  stop: undefined,
  pid: undefined,
  startTime: undefined,
  netnsInode: undefined,
  logFile: undefined,
  writtenFiles: undefined,
  madeDirectories: undefined,
  adopt: undefined,
  managedBy: undefined,
  stackInstance: undefined,
  host: undefined,
};

/**
 * A long-running process inside a namespace (`ip netns exec NS env -i ... ARGV`, in a session of
 * its own, detached from Pulumi), with configuration files written before it starts and its
 * standard output and error in `logFile`. `up` waits for `readiness` (a TCP port that listens in
 * the namespace, or a command that exits 0) and fails with the end of the log when it does not
 * come. There is no supervisor: a process that dies is found gone by `pulumi refresh`, and the
 * next `up` starts it again.
 *
 * `directories` are made before its files are written (a place for the sockets, pid files and
 * state it makes; FRR's `/run/frr/NAME`, say) and removed with everything in them at destroy.
 *
 * A change of command, environment, user, group, working directory, directories or files restarts
 * it; a change of namespace, name or host replaces it; destroy stops its process group (the stop
 * signal, then SIGKILL) and removes its files (those that still hold what it wrote), its
 * directories (those that are still the ones it made), its log and its record.
 */
export class Service extends NetnsResource {
  declare public readonly namespace: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly command: pulumi.Output<string[]>;
  /** The process's pid (its process group's too). */
  declare public readonly pid: pulumi.Output<number>;
  /** Where its standard output and error go. */
  declare public readonly logFile: pulumi.Output<string>;
  /** The files it wrote, each with the sha256 of what it wrote. */
  declare public readonly writtenFiles: pulumi.Output<WrittenFile[]>;
  /** The directories it made, each with its identity (`DEV:INODE`). */
  declare public readonly madeDirectories: pulumi.Output<MadeDirectory[]>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Service",
      name,
      {
        ...serviceOutputs,
        ...(args as object),
        name: args.name ?? name,
        managedBy: managedBy("Service", name),
      },
      opts,
      serviceReferences(args),
    );
  }
}
