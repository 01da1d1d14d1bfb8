// Pulumi's `pulumi-resource-pulumi-nodejs` plugin: the engine starts it in the program's
// directory, and it hosts that program's dynamic providers with the program's own @pulumi/pulumi,
// in this process (one Node start, not two as in Pulumi's shell shim).
require(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }));
