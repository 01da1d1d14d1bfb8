# Source me (`. scripts/env.sh`): Node >= 22.18 and the Pulumi executables first on PATH, with
# offline defaults, so `pulumi up` works anywhere without a login or the network.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]:-$0}")/lib.sh"
PATH="$PULUMI_NETNS_PULUMI_BIN:$(pulumi_netns_node_dir):$PATH"
export PATH
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
# Node keeps the code it compiled for @pulumi/pulumi and the rest, so each of the Node processes
# of an `up` (program, plugins) starts faster: about 1 s less per up (docs/BENCHMARKS.md).
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PULUMI_NETNS_CACHE/node-compile-cache}"
export PULUMI_NETNS_ROOT PULUMI_NETNS_PULUMI_ROOT PULUMI_NETNS_PLUGINS
