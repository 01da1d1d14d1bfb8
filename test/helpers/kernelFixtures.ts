// Output recorded from iproute2 6.1 on Linux 6.18 (Firecracker build), for the parser tests.
// Kept byte for byte as ip printed it; regenerate rather than hand-edit.

/** `ip -N -j -d -n NS link show dev br`: a bridge, STP on, forward_delay 4 s, ageing_time set
 * to 5 cs but read back as 4 (the kernel keeps jiffies; HZ=250 here), group 24157. */
export const bridgeBr =
  '[{"ifindex":3,"ifname":"br","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1400,"qdisc":"noqueue","operstate":"DOWN","linkmode":"DEFAULT","group":"24157","txqlen":1000,"link_type":"[1]","address":"36:3d:46:8d:fc:aa","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":400,"hello_time":200,"max_age":2000,"ageing_time":4,"stp_state":1,"priority":32768,"vlan_filtering":0,"bridge_id":"8000.36:3d:46:8d:fc:aa","root_id":"8000.36:3d:46:8d:fc:aa","root_port":0,"root_path_cost":0,"topology_change":0,"topology_change_detected":0,"hello_timer":2.06,"tcn_timer":0.00,"topology_change_timer":0.00,"gc_timer":0.02,"group_fwd_mask":"0","group_addr":"01:80:c2:00:00:00","mcast_snooping":1,"no_linklocal_learn":0,"mcast_vlan_snooping":0,"mcast_router":1,"mcast_query_use_ifaddr":0,"mcast_querier":0,"mcast_hash_elasticity":16,"mcast_hash_max":4096,"mcast_last_member_cnt":2,"mcast_startup_query_cnt":2,"mcast_last_member_intvl":100,"mcast_membership_intvl":26000,"mcast_querier_intvl":25500,"mcast_query_intvl":12500,"mcast_query_response_intvl":1000,"mcast_startup_query_intvl":3124,"mcast_stats_enabled":0,"mcast_igmp_version":2,"mcast_mld_version":1,"nf_call_iptables":0,"nf_call_ip6tables":0,"nf_call_arptables":0}},"inet6_addr_gen_mode":"eui64","num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536}]';

/** `ip -N -j -d -n NS link show dev up`: a veth end named "up", enslaved to "br", alias set, peer in another namespace. */
export const vethUpInBridge =
  '[{"ifindex":2,"link_index":2,"ifname":"up","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"qdisc":"noqueue","master":"br","operstate":"UP","linkmode":"DEFAULT","group":"24157","txqlen":1000,"link_type":"[1]","address":"36:3d:46:8d:fc:aa","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"promiscuity":1,"allmulti":1,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"listening","priority":32,"cost":2,"hairpin":false,"guard":false,"root_block":false,"fastleave":false,"learning":true,"flood":true,"id":"0x8001","no":"0x1","designated_port":32769,"designated_cost":0,"bridge_id":"8000.36:3d:46:8d:fc:aa","root_id":"8000.36:3d:46:8d:fc:aa","hold_timer":1.06,"message_age_timer":0.00,"forward_delay_timer":1.47,"topology_change_ack":0,"config_pending":0,"proxy_arp":false,"proxy_arp_wifi":false,"multicast_router":1,"mcast_flood":true,"bcast_flood":true,"mcast_to_unicast":false,"neigh_suppress":false,"group_fwd_mask":"0","group_fwd_mask_str":"0x0","vlan_tunnel":false,"isolated":false,"locked":false}},"inet6_addr_gen_mode":"eui64","num_tx_queues":2,"num_rx_queues":2,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536,"ifalias":"pulumi-netns:p/s/veth/x"}]';

/** `ip -N -j -d -n NS link show dev tap0`: a tap, multi_queue + vnet_hdr, owner uid/gid 1 (printed as names "daemon"). */
export const tapNumeric =
  '[{"ifindex":6,"ifname":"tap0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1400,"qdisc":"mq","operstate":"DOWN","linkmode":"DEFAULT","group":"24157","txqlen":1000,"link_type":"[1]","address":"7e:54:5e:44:22:10","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65521,"linkinfo":{"info_kind":"tun","info_data":{"type":"tap","pi":false,"vnet_hdr":true,"multi_queue":true,"numqueues":0,"numdisabled":0,"persist":true,"user":"daemon","group":"daemon"}},"inet6_addr_gen_mode":"eui64","num_tx_queues":256,"num_rx_queues":256,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":65536,"tso_max_segs":65535,"gro_max_size":65536}]';

/** the same tap without `-N`: group still numeric here because no name matches, owner by name. */
export const tapWithoutN =
  '[{"ifindex":6,"ifname":"tap0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1400,"qdisc":"mq","operstate":"DOWN","linkmode":"DEFAULT","group":"24157","txqlen":1000,"link_type":"ether","address":"7e:54:5e:44:22:10","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65521,"linkinfo":{"info_kind":"tun","info_data":{"type":"tap","pi":false,"vnet_hdr":true,"multi_queue":true,"numqueues":0,"numdisabled":0,"persist":true,"user":"daemon","group":"daemon"}},"inet6_addr_gen_mode":"eui64","num_tx_queues":256,"num_rx_queues":256,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":65536,"tso_max_segs":65535,"gro_max_size":65536}]';

/** `ip -j -n NS tuntap show`: numeric owners; "help" has none. */
export const tuntapShow =
  '[{"ifname":"tap0","flags":["tap","multi_queue","vnet_hdr","persist"],"user":1,"group":1},{"ifname":"help","flags":["tap","persist"]}]';

/** `ip -N -j -d -n NS link show dev lo`: no kind, group 0 printed "0" under -N. */
export const loopback =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","linkmode":"DEFAULT","group":"0","txqlen":1000,"link_type":"[772]","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","promiscuity":0,"allmulti":0,"min_mtu":0,"max_mtu":0,"inet6_addr_gen_mode":"eui64","num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536}]';

/** `ip -j -n NS address show dev br`: IPv4 and nodad IPv6, no carrier so no link-local. */
export const addrBridge =
  '[{"ifindex":3,"ifname":"br","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1400,"qdisc":"noqueue","operstate":"DOWN","group":"24157","txqlen":1000,"link_type":"ether","address":"36:3d:46:8d:fc:aa","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":24,"scope":"global","label":"br","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"2001:db8:0:1::1","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

/** `ip -j -n NS address show dev dev`: IPv4, IPv6 (added as 2001:DB8::5), and the kernel's fe80:: link-local. */
export const addrVeth =
  '[{"ifindex":2,"link_index":2,"ifname":"dev","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"qdisc":"noqueue","operstate":"UP","group":"24157","txqlen":1000,"link_type":"ether","address":"f6:7f:6b:75:b5:7f","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"inet","local":"192.0.2.5","prefixlen":24,"scope":"global","label":"dev","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"2001:db8::5","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::f47f:6bff:fe75:b57f","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

/** `ip -j -n NS address show dev lo`: host-scope addresses only. */
export const addrLoopback =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

/** `ip -j netns list`: "id" only where an nsid was assigned. */
export const netnsList = '[{"name":"pnkx-b"},{"name":"pnkx-a"}]';
