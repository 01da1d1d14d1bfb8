import { mtuProblems } from "../../../provider/schema/mtu";
import { ruleTable } from "../../helpers/schema";

ruleTable("MTUs", mtuProblems, [
  [68, null],
  [1500, null],
  [65535, null],
  [67, /68 .* to 65535/u],
  [65536, /68 .* to 65535/u],
  [1500.5, /integer/u],
]);
