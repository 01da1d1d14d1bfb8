import { managedByProblems } from "../../../provider/schema/ownershipFields";
import { ruleTable } from "../../helpers/schema";

ruleTable("managedBy", managedByProblems, [
  ["proj/dev/VethPair/v1", null],
  ["proj/dev/Namespace/a%2Fb", null],
  ["proj/dev/Namespace/a/b", null],
  ["", /1-200 bytes/u],
  [`p/s/k/${"x".repeat(200)}`, /1-200 bytes/u],
  ["proj/dev/v1", /"<project>\/<stack>\/<kind>\/<name>"/u],
  ["proj//Bridge/x", /no empty part/u],
  ["p/s/k/a b", /whitespace/u],
  ["p/s/k/it's", /ip -batch/u],
]);
