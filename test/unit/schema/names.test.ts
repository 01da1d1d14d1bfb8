import fc from "fast-check";
import { describe, test } from "node:test";
import { interfaceNameProblems, namespaceNameProblems } from "../../../provider/schema/names";
import { ruleTable } from "../../helpers/schema";

ruleTable("interface names", interfaceNameProblems, [
  ["eth0", null],
  ["a", null],
  ["br", null],
  ["up", null],
  ["veth-a_1.100", null],
  ["fifteen-chars15", null],
  ["ééééééé", null], // 14 bytes
  ["", /1-15 bytes; "" is 0 bytes/u],
  ["averyveryverylongname", /interface names are 1-15 bytes; "averyveryverylongname" is 21 bytes/u],
  ["ééééééééé", /1-15 bytes; "ééééééééé" is 18 bytes/u],
  ["sixteen-chars-16", /is 16 bytes/u],
  [".", /cannot be "\." or "\.\."/u],
  ["..", /cannot be "\." or "\.\."/u],
  ["a/b", /cannot contain "\/" or ":"/u],
  ["eth0:1", /cannot contain "\/" or ":"/u],
  ["a b", /whitespace/u],
  ["a\tb", /whitespace/u],
  ["a\u3000b", /whitespace/u],
  ["a\u0007b", /control characters/u],
  ["a\u007fb", /control characters/u],
  ["a'b", /ip -batch/u],
  ['a"b', /ip -batch/u],
  ["a#b", /ip -batch/u],
  ["a\\b", /ip -batch/u],
  ["à", /byte 0xA0/u],
  ["a\ud800", /well-formed Unicode/u],
]);

ruleTable("namespace names", namespaceNameProblems, [
  ["blue", null],
  ["ns-1.2_x", null],
  ["x".repeat(255), null],
  ["é".repeat(127), null],
  ["", /1-255 bytes/u],
  ["x".repeat(256), /1-255 bytes.*256 bytes/u],
  ["é".repeat(128), /256 bytes/u],
  [".", /"\." or "\.\."/u],
  ["..", /"\." or "\.\."/u],
  ["a/b", /cannot contain "\/"/u],
  ["a b", /whitespace/u],
  ["a\u0000b", /control characters/u],
  ["a'b", /ip -batch re-tokenises/u],
  ["a#b", /ip -batch re-tokenises/u],
  ["a\\b", /ip -batch re-tokenises/u],
]);

const allowedNameChars = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@+=,é日ü"];
const forbiddenNameChars = [
  "%",
  " ",
  "/",
  ":",
  "\t",
  "\n",
  "\u0000",
  "\u007f",
  "'",
  '"',
  "#",
  "\\",
  "à",
  "\u00a0",
  "\u3000",
];
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const validName = fc
  .array(fc.constantFrom(...allowedNameChars), { minLength: 1, maxLength: 15 })
  .map((chars) => chars.join(""))
  .filter((s) => bytes(s) <= 15 && s !== "." && s !== "..");

describe("interface name properties", () => {
  test("every name of 1-15 bytes of allowed characters passes", () => {
    fc.assert(fc.property(validName, (name) => interfaceNameProblems(name).length === 0));
  });
  test("any name with a forbidden character fails", () => {
    fc.assert(
      fc.property(validName, fc.constantFrom(...forbiddenNameChars), fc.nat(), (name, bad, at) => {
        const i = at % (name.length + 1);
        return interfaceNameProblems(name.slice(0, i) + bad + name.slice(i)).length > 0;
      }),
    );
  });
  test("any name over 15 bytes fails, naming the byte count", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...allowedNameChars), { minLength: 8, maxLength: 40 })
          .map((c) => c.join("")),
        (name) => {
          fc.pre(bytes(name) > 15);
          return interfaceNameProblems(name).some((p) => p.includes(`is ${bytes(name)} bytes`));
        },
      ),
    );
  });
});
