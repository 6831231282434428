/**
 * HostKey: the SSH host key of the target, checked before anything else touches the host.
 *
 * With `expected` (config `target.hostKeyFingerprint`) only that key is accepted. Without it the key
 * seen on first contact is recorded in the state (trust on first use, as OpenSSH's
 * `StrictHostKeyChecking=accept-new`), and every later preview, up, refresh and destroy refuses any
 * other key. Every other resource takes `fingerprint` into its connection (providers/ssh.ts refuses
 * any other key on connect), so they all wait for this check: a replaced host gets nothing written.
 *
 * diff() and read() look at the host's key on every run (one key exchange, no login): a changed key
 * fails the operation with an error naming the host, the expected and the seen fingerprint.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReferencedDynamicResource } from "./dynamicResource";
import { hostKeyMismatch, probeHostKey } from "./ssh";

export interface HostKeyInputs {
  /** Address of the host. */
  readonly host: pulumi.Input<string>;
  /** @default 22 */
  readonly port?: pulumi.Input<number>;
  /** The only fingerprint accepted (`SHA256:...`). @default the key seen on first contact */
  readonly expected?: pulumi.Input<string | undefined>;
}

interface HostKeyProps {
  readonly host: string;
  readonly port?: number;
  readonly expected?: string;
}

/** The state: the inputs and the fingerprint accepted. */
export interface HostKeyState extends HostKeyProps {
  /** The accepted host key's fingerprint, `SHA256:...`. */
  readonly fingerprint: string;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Where the expected fingerprint came from, for the error message. */
function source(expected: string | undefined): string {
  return expected ? "target.hostKeyFingerprint" : "the key recorded in the state at first contact";
}

/** The fingerprint the host presents, or an error when it is not `want`. */
async function verified(props: HostKeyProps, want: string | undefined): Promise<string> {
  const seen = await probeHostKey(props);
  if (want !== undefined && seen !== want) throw new Error(hostKeyMismatch(props, want, seen, source(props.expected)));
  return seen;
}

export const hostKeyProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<HostKeyProps>, news: Partial<HostKeyProps>) {
    const failures = typeof news.expected === "string" && !FINGERPRINT.test(news.expected) ? [{ property: "expected", reason: `not an OpenSSH SHA256 fingerprint: ${JSON.stringify(news.expected)}` }] : [];
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: HostKeyState, news: HostKeyProps) {
    const replaces = [...(olds.host !== news.host ? ["host"] : []), ...((olds.port ?? 22) !== (news.port ?? 22) ? ["port"] : [])];
    // Another address is another host: its key is checked (or first trusted) when it is created.
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
    const seen = await verified(news, news.expected ?? olds.fingerprint);
    return { changes: seen !== olds.fingerprint || (olds.expected ?? "") !== (news.expected ?? "") };
  },

  async create(inputs: HostKeyProps) {
    const fingerprint = await verified(inputs, inputs.expected);
    return { id: `${inputs.host}:${inputs.port ?? 22}`, outs: { ...inputs, fingerprint } };
  },

  async update(_id: string, olds: HostKeyState, news: HostKeyProps) {
    return { outs: { ...news, fingerprint: await verified(news, news.expected ?? olds.fingerprint) } };
  },

  async read(id: string, props: HostKeyState) {
    await verified(props, props.expected ?? props.fingerprint);
    return { id, props };
  },
};

/** The target's SSH host key, verified (or first trusted) before any other resource connects. */
export class HostKey extends ReferencedDynamicResource {
  /** The accepted key's fingerprint (`SHA256:...`): what every connection to the host must see. */
  declare public readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: HostKeyInputs, opts?: pulumi.CustomResourceOptions) {
    super({ module: "hostKey", export: "hostKeyProvider" }, name, { ...args, fingerprint: undefined }, opts, "HostKey");
  }
}
