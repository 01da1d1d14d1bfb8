// What a resource kind is, as data: the one descriptor per kind from which the provider map, the
// SDK's kind names and the diff handlers derive (see provider/kinds.ts and DESIGN.md "Adding a
// kind"). Like vishvananda/netlink's one small type per link kind.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { HoldingsOf } from "./holdings";
import type { DiffInputs } from "./schema/diff";
import type { References } from "./schema/references";

export interface KindDescriptor {
  /**
   * The kind's name: the last part of its type token `pulumi-nodejs:dynamic/netns:<kind>` and its
   * key in `providers`, so it is written into every resource's state and never changes.
   */
  readonly kind: string;
  /** `user`: an SDK class users declare; `sdk`: made by the SDK itself (the stack's StackInstance). */
  readonly declaredBy: "user" | "sdk";
  /** The input schema: `check` validates with it, the SDK's argument types derive from it. */
  readonly schema: z.ZodObject;
  /**
   * Update versus replace on resolved inputs, built from one rule per schema field
   * (`DiffRules`), so a field without a rule does not compile.
   */
  readonly diffInputs: DiffInputs;
  /** The kernel's `info_kind` of the links it makes; undefined for a kind that makes no link. */
  readonly kernelKind: string | undefined;
  /**
   * What its inputs name that other resources make (the namespace it makes, the links it makes,
   * the namespaces, masters and devices it uses): read by `check`'s claims and the SDK's
   * dependencies alike.
   */
  readonly references: (inputs: unknown) => References;
  /**
   * Every kernel object a resource's state holds, with the mark each carries: `ls`, `gc` and
   * `graph` know what a stack owns only through this.
   */
  readonly holdings: HoldingsOf;
  /** The lifecycle handlers the dynamic-provider plugin calls. */
  readonly provider: pulumi.dynamic.ResourceProvider;
}

/** A descriptor with its literal types kept (the kind's name, its kernel kind), for the registry's unions. */
export function defineKind<const D extends KindDescriptor>(descriptor: D): D {
  return descriptor;
}
