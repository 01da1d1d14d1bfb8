/**
 * Pulumi's property paths, as check failures and diffs name a field. Apart from the zod glue in
 * checkFailures.ts, so a program's SDK, which names fields in its references, loads no zod.
 */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/u;

/**
 * Pulumi's property-path syntax: identifiers joined with ".", indices as `[1]`, any other key as
 * `["net.ipv4.ip_forward"]` (so dotted sysctl keys stay one readable segment).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment))
      out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}
