/**
 * prometheus.yml's `remote_write` from the stack's receivers (model/remoteWrite.ts): Prometheus' own
 * keys in snake_case, only what the stack sets (Prometheus' defaults stay its own), the password by
 * file (`password_file`), never inline.
 */
import { longTermStoreReceiverName, remoteWritePasswordFile, remoteWriteReceivers, type RelabelRule, type RemoteWriteSpec } from "../model/remoteWrite";
import type { StackSpec } from "../model/spec";
import { storageHost } from "../model/fleet";
import { webTlsPaths } from "./webConfig";

function relabel(rule: RelabelRule): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      source_labels: rule.sourceLabels,
      separator: rule.separator,
      regex: rule.regex,
      target_label: rule.targetLabel,
      replacement: rule.replacement,
      modulus: rule.modulus,
      action: rule.action,
    }).filter(([, v]) => v !== undefined),
  );
}

/**
 * The long-term store's receiver on a fleet's storage host (model/fleet.ts storageHost): Prometheus
 * proves itself with its host's certificate (serverAuth and clientAuth, from the fleet's CA) and its own
 * copy of the key, and checks the receiver's against the CA.
 */
const storeClientTls = { tls_config: { ca_file: webTlsPaths.ca, cert_file: webTlsPaths.certificate, key_file: webTlsPaths.key("prometheus") } } as const;

/** The receivers Prometheus writes to, the long-term store's at its storage host when the store is placed on one. */
function receiversOf(spec: StackSpec): RemoteWriteSpec[] {
  const storage = storageHost(spec);
  return storage ? remoteWriteReceivers(spec, storage.address, true) : remoteWriteReceivers(spec);
}

function receiver(r: RemoteWriteSpec, placed: boolean): Record<string, unknown> {
  const queue = r.queue
    ? Object.fromEntries(
        Object.entries({ capacity: r.queue.capacity, max_shards: r.queue.maxShards, max_samples_per_send: r.queue.maxSamplesPerSend, batch_send_deadline: r.queue.batchSendDeadline }).filter(([, v]) => v !== undefined),
      )
    : undefined;
  return {
    url: r.url,
    ...(r.name === undefined ? {} : { name: r.name }),
    ...(r.basicAuth && r.name !== undefined ? { basic_auth: { username: r.basicAuth.username, password_file: remoteWritePasswordFile(r.name) } } : {}),
    ...(queue && Object.keys(queue).length > 0 ? { queue_config: queue } : {}),
    ...(r.writeRelabel && r.writeRelabel.length > 0 ? { write_relabel_configs: r.writeRelabel.map(relabel) } : {}),
    ...(placed && r.name === longTermStoreReceiverName ? storeClientTls : {}),
  };
}

/** The `remote_write` entry of prometheus.yml, or `{}` when the stack writes nowhere. */
export function renderRemoteWrite(spec: StackSpec): { remote_write?: Record<string, unknown>[] } {
  const receivers = receiversOf(spec);
  const placed = storageHost(spec) !== undefined;
  return receivers.length === 0 ? {} : { remote_write: receivers.map((r) => receiver(r, placed)) };
}

/** The names of the receivers whose password Prometheus reads from a file (the Prometheus component writes them). */
export function remoteWritePasswordNames(spec: StackSpec): string[] {
  return remoteWriteReceivers(spec).flatMap((r) => (r.basicAuth && r.name !== undefined ? [r.name] : []));
}
