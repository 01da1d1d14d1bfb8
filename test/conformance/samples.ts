// One sample per kind users declare, for the conformance suite (test/engine/conformance.test.ts):
// the suite runs the same lifecycle, ownership, `ls`/`gc`, `graph` and look-alike checks on every
// sample, knowing a kind only through its descriptor. A kind added to the registry without a
// sample here does not compile (the mapped type below), and the suite fails at run time too.
import * as netns from "pulumi-netns";
import type { ResourceKind } from "../../provider/kinds";

export interface SampleContext {
  /** The test's prefix: every namespace the sample makes, and every host link, starts with it. */
  readonly prefix: string;
  /**
   * A namespace the test made for this kind alone, outside the stack. Links and routes go here:
   * destroying the stack must not take the look-alikes the suite puts in their place down with a
   * namespace of ours, or "destroy leaves them alone" could not fail.
   */
  readonly sandbox: string;
}

export interface Sample {
  /**
   * Declares the resource under test, of this kind, with the logical name `name`, and whatever it
   * needs (an underlay, a parent) under names that start with `name`.
   */
  declare(name: string, ctx: SampleContext): void;
}

/** A parent for a link made on one (a macvlan, a macvtap): an end of a veth pair in the sandbox. */
function parentFor(name: string, sandbox: string) {
  const pair = new netns.VethPair(`${name}-parent`, {
    a: { name: "up0", namespace: sandbox },
    b: { name: "up1", namespace: sandbox },
  });
  return pair.a.name;
}

export const samples: { readonly [K in ResourceKind]: Sample } = {
  Namespace: {
    declare: (name, { prefix }) => void new netns.Namespace(name, { name: `${prefix}-ns` }),
  },
  VethPair: {
    declare: (name, { sandbox }) =>
      void new netns.VethPair(name, {
        a: { name: "va", namespace: sandbox },
        b: { name: "vb", namespace: sandbox, addresses: ["10.96.0.1/30"] },
      }),
  },
  Bridge: {
    declare: (name, { sandbox }) => void new netns.Bridge(name, { name: "br0", namespace: sandbox }),
  },
  TapDevice: {
    declare: (name, { sandbox }) => void new netns.TapDevice(name, { name: "tap0", namespace: sandbox }),
  },
  Route: {
    declare: (name, { sandbox }) => {
      const pair = new netns.VethPair(`${name}-dev`, {
        a: { name: "rt0", namespace: sandbox, addresses: ["10.97.0.1/30"] },
        b: { name: "rt1", namespace: sandbox },
      });
      new netns.Route(
        name,
        { namespace: sandbox, destination: "10.98.0.0/24", via: "10.97.0.2" },
        { dependsOn: [pair] },
      );
    },
  },
  Service: {
    // A small real daemon: a web server serving a file from a directory of its own, ready once it
    // listens, so the suite's ownership, ls, gc and graph checks cover files and directories too.
    declare: (name, { sandbox }) => {
      const root = `/run/${sandbox}-www`;
      void new netns.Service(name, {
        namespace: sandbox,
        name: "svc",
        command: ["python3", "-m", "http.server", "8097", "--directory", root],
        directories: [{ path: root }],
        files: [{ path: `${root}/index.html`, content: "conformance\n" }],
        readiness: { tcpPort: 8097, timeoutSeconds: 10 },
      });
    },
  },
  Vxlan: {
    declare: (name, { sandbox }) => {
      const underlay = new netns.VethPair(`${name}-underlay`, {
        a: { name: "ul0", namespace: sandbox, addresses: ["192.168.97.1/30"] },
        b: { name: "ul1", namespace: sandbox, addresses: ["192.168.97.2/30"] },
      });
      new netns.Vxlan(name, {
        name: "vx0",
        namespace: sandbox,
        vni: 97,
        local: "192.168.97.1",
        remote: "192.168.97.2",
        dev: underlay.a.name,
      });
    },
  },
  Macvlan: {
    declare: (name, { sandbox }) =>
      void new netns.Macvlan(name, { name: "mv0", namespace: sandbox, parent: parentFor(name, sandbox) }),
  },
  Macvtap: {
    declare: (name, { sandbox }) =>
      void new netns.Macvtap(name, { name: "mt0", namespace: sandbox, parent: parentFor(name, sandbox) }),
  },
  Lan: {
    declare: (name, { prefix }) =>
      void new netns.Lan(name, {
        namespace: `${prefix}-lan`,
        hosts: { [`${prefix}-lh1`]: { addresses: ["10.99.0.1/24"] } },
      }),
  },
};
