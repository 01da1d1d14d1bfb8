import { randomBytes } from "node:crypto";

/**
 * A unique prefix for what one test creates: `pnt` (pulumi-netns test) and 4 hex digits, so a
 * leftover is recognisable and names stay within the 15-byte interface limit.
 */
export function uniquePrefix(): string {
  return `pnt${randomBytes(2).toString("hex")}`;
}
