// A Node.js language host for the Pulumi CLI (`pulumi-language-nodejs`).
//
// Why this exists: the Go module proxy we can reach refuses Pulumi's own language host module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 answers 403), so `pulumi up`
// on a project directory has nothing to run the program with. This host speaks the same
// LanguageRuntime gRPC protocol and runs the program exactly as Pulumi's host does: it starts
// `@pulumi/pulumi/cmd/run` from the program's own node_modules, in a child process per run.
//
// The engine starts it as `pulumi-language-nodejs [flags] ENGINE_ADDRESS` and reads the port it
// listens on from the first line of stdout.
import { spawn } from "node:child_process";
import * as path from "node:path";

// The engine starts us in the program's directory; its @pulumi/pulumi brings gRPC and the protocol.
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes carry no types */
const grpc = fromPulumi("@grpc/grpc-js");
const languageProto = fromPulumi("@pulumi/pulumi/proto/language_pb");
const languageService = fromPulumi("@pulumi/pulumi/proto/language_grpc_pb");
const pluginProto = fromPulumi("@pulumi/pulumi/proto/plugin_pb");
const pulumiVersion: string = require(path.join(pulumiDir, "package.json")).version;

/** The exit code with which `cmd/run` says it already reported the error to the engine. */
const EXIT_AFTER_REPORTED_ERROR = 32;

type Callback = (err: Error | null, response?: unknown) => void;

function engineAddressFromArgv(argv: string[]): string {
  const positional = argv.filter((arg) => !arg.startsWith("-"));
  const address = positional.at(-1);
  if (!address) {
    process.stderr.write("pulumi-language-nodejs: missing the engine address argument\n");
    process.exit(2);
  }
  return address;
}

function programInfo(request: any): { rootDirectory: string; programDirectory: string; entryPoint: string } {
  const info = request.getInfo?.();
  const programDirectory: string = info?.getProgramDirectory() || request.getPwd();
  return {
    rootDirectory: info?.getRootDirectory() || programDirectory,
    programDirectory,
    entryPoint: info?.getEntryPoint() || request.getProgram() || ".",
  };
}

/** Runs one Pulumi program to completion and reports how it ended. */
function runProgram(request: any, engineAddress: string): Promise<{ error: string; bail: boolean }> {
  const { rootDirectory, programDirectory, entryPoint } = programInfo(request);
  let runScript: string;
  try {
    runScript = require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory] });
  } catch {
    return Promise.resolve({
      error: `@pulumi/pulumi is not installed for the program in ${programDirectory}: run npm install there`,
      bail: false,
    });
  }
  const config: Record<string, string> = {};
  for (const [key, value] of request.getConfigMap().entries()) config[key] = value;

  const args = [
    runScript,
    `--monitor=${request.getMonitorAddress()}`,
    `--engine=${engineAddress}`,
    `--project=${request.getProject()}`,
    `--stack=${request.getStack()}`,
    `--root-directory=${rootDirectory}`,
    `--pwd=${request.getPwd() || programDirectory}`,
    `--parallel=${request.getParallel()}`,
  ];
  if (request.getOrganization()) args.push(`--organization=${request.getOrganization()}`);
  if (request.getDryrun()) args.push("--dry-run");
  args.push(entryPoint, ...request.getArgsList());

  const child = spawn(process.execPath, args, {
    cwd: programDirectory,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.getConfigsecretkeysList()),
      PULUMI_NODEJS_TYPESCRIPT: process.env.PULUMI_NODEJS_TYPESCRIPT ?? "true",
    },
  });
  return new Promise((resolve) => {
    child.on("error", (err) => resolve({ error: `could not start node: ${err.message}`, bail: false }));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve({ error: "", bail: false });
      else if (code === EXIT_AFTER_REPORTED_ERROR) resolve({ error: "", bail: true });
      else resolve({ error: `Program exited with ${signal ?? `non-zero exit code: ${code}`}`, bail: false });
    });
  });
}

function main(): void {
  const engineAddress = engineAddressFromArgv(process.argv.slice(2));
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(languageService.LanguageRuntimeService, {
    getPluginInfo(_call: unknown, callback: Callback) {
      const info = new pluginProto.PluginInfo();
      info.setVersion(pulumiVersion);
      callback(null, info);
    },
    getRequiredPlugins(_call: unknown, callback: Callback) {
      callback(null, new languageProto.GetRequiredPluginsResponse());
    },
    getRequiredPackages(_call: unknown, callback: Callback) {
      callback(null, new languageProto.GetRequiredPackagesResponse());
    },
    getProgramDependencies(_call: unknown, callback: Callback) {
      callback(null, new languageProto.GetProgramDependenciesResponse());
    },
    about(_call: unknown, callback: Callback) {
      const about = new languageProto.AboutResponse();
      about.setExecutable(process.execPath);
      about.setVersion(process.version);
      callback(null, about);
    },
    installDependencies(call: any) {
      // Dependencies are installed by `npm ci` in scripts/setup; nothing to stream.
      call.end();
    },
    run(call: any, callback: Callback) {
      runProgram(call.request, engineAddress).then(({ error, bail }) => {
        const response = new languageProto.RunResponse();
        response.setError(error);
        response.setBail(bail);
        callback(null, response);
      }, callback);
    },
  });
  server.bindAsync(
    "127.0.0.1:0",
    grpc.ServerCredentials.createInsecure(),
    (err: Error | null, port: number) => {
      if (err) {
        process.stderr.write(`pulumi-language-nodejs: cannot listen: ${err.message}\n`);
        process.exit(1);
      }
      process.stdout.write(`${port}\n`);
    },
  );
}

main();
