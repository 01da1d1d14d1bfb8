import { z } from "zod";
import { orUnknown, stackInstance } from "./common";

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
