import { sysctlKeyProblems, sysctlValueProblems } from "../../../provider/schema/sysctl";
import { ruleTable } from "../../helpers/schema";

ruleTable("sysctl keys", sysctlKeyProblems, [
  ["net.ipv4.ip_forward", null],
  ["net.ipv6.conf.all.disable_ipv6", null],
  ["net.ipv4.conf.veth-a.rp_filter", null],
  ["kernel.pid_max", /start with "net\."/u],
  ["net.", /non-empty dot-separated segments/u],
  ["net..x", /non-empty dot-separated segments/u],
  ["net.ipv4.conf.eth0/100.forwarding", /cannot contain "\/"/u],
  ["net.ipv4.ip forward", /segments of letters, digits/u],
]);

ruleTable("sysctl values", sysctlValueProblems, [
  ["1", null],
  [1, null],
  [-1, null],
  ["", /cannot be empty/u],
  ["32768 60999", null],
  ["4096\t131072\t6291456", null],
  [" 1", /start or end with blanks/u],
  ["1\n", /line break/u],
  ["1\u0007", /control characters/u],
  [1.5, /must be integers/u],
]);
