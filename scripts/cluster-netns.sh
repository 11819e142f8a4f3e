#!/usr/bin/env bash
# The cluster of docker/compose.yaml without a container engine: one network namespace per node,
# each with its own address on a bridge, so nodes reach each other (and their viewers reach
# them) over real, separate interfaces as on separate hosts. Needs root (ip netns).
#
#   scripts/cluster-netns.sh up   <name> <subnet> <node>...   # e.g. up gs 77 a b c
#   scripts/cluster-netns.sh down <name> <node>...
#   scripts/cluster-netns.sh exec <name> <node> <command>...  # run a command as that node
#
# `up` makes the bridge <name>-br with 10.<subnet>.0.1/24 on this host (where PostgreSQL, Redis,
# the cameras and the browsers stay) and, for the i-th node, the namespace <name>-<node> with
# 10.<subnet>.0.(10+i)/24 and a route through the bridge; it prints one line per node:
# "<node> <namespace> <address>". `down` removes them (stop the nodes' processes first).
set -euo pipefail

cmd=${1:-}
name=${2:-}
[[ -n "$cmd" && -n "$name" ]] || { echo "usage: $0 up|down|exec <name> ..." >&2; exit 2; }
[[ "$name" =~ ^[a-z0-9]{1,6}$ ]] || { echo "name: 1-6 lowercase letters or digits (interface names are short)" >&2; exit 2; }
bridge="$name-br"

case "$cmd" in
  up)
    subnet=${3:-}
    [[ "$subnet" =~ ^[0-9]{1,3}$ && "$subnet" -le 255 ]] || { echo "subnet: 0-255" >&2; exit 2; }
    shift 3
    ip link add "$bridge" type bridge
    ip addr add "10.$subnet.0.1/24" dev "$bridge"
    ip link set "$bridge" up
    i=0
    for node in "$@"; do
      [[ "$node" =~ ^[a-z0-9]{1,4}$ ]] || { echo "node: 1-4 lowercase letters or digits" >&2; exit 2; }
      ns="$name-$node"
      addr="10.$subnet.0.$((10 + i))"
      ip netns add "$ns"
      ip link add "$name-$node-h" type veth peer name "$name-$node-n"
      ip link set "$name-$node-h" master "$bridge" up
      ip link set "$name-$node-n" netns "$ns"
      ip -n "$ns" link set lo up
      ip -n "$ns" link set "$name-$node-n" name eth0
      ip -n "$ns" addr add "$addr/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" route add default via "10.$subnet.0.1"
      echo "$node $ns $addr"
      i=$((i + 1))
    done
    ;;
  down)
    shift 2
    for node in "$@"; do
      ip netns del "$name-$node" 2>/dev/null || true
      # Gone with its namespace, unless a process still holds that namespace open.
      ip link del "$name-$node-h" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
    ;;
  exec)
    node=${3:-}
    shift 3
    exec ip netns exec "$name-$node" "$@"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
