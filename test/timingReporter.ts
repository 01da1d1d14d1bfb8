// A second reporter for test/run, beside the spec reporter (`--test-reporter=./dist/test/timingReporter.js`).
// The runner takes a reporter module's default export, which for a CommonJS module is its whole
// `module.exports`: hence `export =` and the code in a helper.
import { timingReporter } from "./helpers/timing";

export = timingReporter;
