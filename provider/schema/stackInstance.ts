import { z } from "zod";
import { stackInstance } from "./ownershipFields";
import { orUnknown } from "./unknown";
import { diffBy, replace } from "./diff";

/**
 * The one StackInstance of a stack (the SDK makes it): the random id every other resource of the
 * stack puts in its ownership mark, made once and kept in the stack's own state.
 */
export const stackInstanceSchema = z.strictObject({
  /**
   * An id to use instead of a random one: `pulumi config set pulumi-netns:stackInstance ID`. Pinning
   * the id of a lost state's instance takes that stack's objects back (see docs/RELIABILITY.md).
   */
  pinned: orUnknown(stackInstance).optional(),
});

export type StackInstanceInputs = z.input<typeof stackInstanceSchema>;

/**
 * Another pinned id is another owner: the StackInstance is replaced, and every resource then
 * updates its mark to the new id. It has no kernel object, so nothing can collide.
 */
export const diffStackInstance = diffBy({ schema: stackInstanceSchema, fields: { pinned: replace } });
