# Source me (`. scripts/env.sh`): Node >= 22 and the Pulumi executables first on PATH, with
# offline defaults, so `pulumi up` works anywhere without a login or the network.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]:-$0}")/lib.sh"
PATH="$PULUMI_NETNS_PULUMI_BIN:$(pulumi_netns_node_dir):$PATH"
export PATH
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_NETNS_ROOT PULUMI_NETNS_PULUMI_ROOT PULUMI_NETNS_PLUGINS
