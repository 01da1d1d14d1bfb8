# Shared by scripts/setup and scripts/env.sh: where the tools live. Sourced, never run.
# The versions are pinned once: the Pulumi CLI is built at the release of the @pulumi/pulumi
# version in package.json (scripts/pulumi-cli/go.mod must name the same), the command plugin at
# the @pulumi/command version there, Node at NODE_VERSION.
PULUMI_NETNS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_VERSION=22.23.3
PULUMI_VERSION=$(sed -n 's/^ *"@pulumi\/pulumi": *"\([0-9.]*\)".*/\1/p' "$PULUMI_NETNS_ROOT/package.json" | head -n 1)
COMMAND_VERSION=$(sed -n 's/^ *"@pulumi\/command": *"\([0-9.]*\)".*/\1/p' "$PULUMI_NETNS_ROOT/package.json" | head -n 1)
PULUMI_NETNS_CACHE=${PULUMI_NETNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-netns}
PULUMI_NETNS_NODE_BIN=$PULUMI_NETNS_CACHE/node-$NODE_VERSION/node_modules/node/bin
# What setup builds, kept per version so later runs and other checkouts reuse it.
PULUMI_NETNS_BUILDS=$PULUMI_NETNS_CACHE/build
# PulumiCommand.get({ root }) runs ROOT/bin/pulumi: this is that root. Its bin holds the CLI with
# its bundled plugins (the Node language host, the dynamic-provider plugin) side by side, as an
# official install has them; setup fills it from an official install or from what it built.
PULUMI_NETNS_PULUMI_ROOT=$PULUMI_NETNS_CACHE/pulumi
PULUMI_NETNS_PULUMI_BIN=$PULUMI_NETNS_PULUMI_ROOT/bin
# Where `pulumi plugin install` puts resource plugins such as command, and the engine finds them.
PULUMI_NETNS_PLUGINS=${PULUMI_HOME:-$HOME/.pulumi}/plugins

# The first Node >= 22.18 found: the system's if new enough, else the one setup installs.
# @pulumi/pulumi needs 22; 22.18 runs TypeScript by stripping the types, as the examples expect.
pulumi_netns_node_dir() {
  local version
  version=$(node -p 'process.versions.node.split(".").slice(0, 2).map((n) => n.padStart(3, "0")).join("")' 2>/dev/null || echo 0)
  if [ "$version" -ge 022018 ] 2>/dev/null; then dirname "$(command -v node)"; else echo "$PULUMI_NETNS_NODE_BIN"; fi
}
