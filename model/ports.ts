/**
 * Every port the Winyx monitoring host listens on, in one place.
 *
 * The chapter put Prometheus, the user_service metrics endpoint and the Pushgateway all on 9091,
 * and a Go-Zero service on Alertmanager's 9093. `definePorts` turns that class of mistake into a
 * compile error: two names with the same port number do not type-check.
 */

/** The names in T whose port number is also used by another name. */
export type DuplicatePortNames<T extends Record<string, number>> = {
  [K in keyof T]: T[K] extends T[Exclude<keyof T, K>] ? K : never;
}[keyof T];

/** Rejects (at compile time) a port table that uses one number twice; returns it unchanged. */
export function definePorts<const T extends Record<string, number>>(
  ports: T & ([DuplicatePortNames<T>] extends [never] ? unknown : { readonly __portUsedTwiceBy: DuplicatePortNames<T> }),
): Readonly<T> {
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    const previous = seen.get(port);
    if (previous !== undefined) {
      throw new Error(`ports.${name}: port ${port} is already used by ports.${previous}`);
    }
    seen.set(port, name);
  }
  return ports;
}

/**
 * The port plan of a monitoring host. Upstream defaults where they exist; the chapter's values
 * where they did not collide. README "Mistakes in the chapter" says what moved and why.
 */
export const ports = definePorts({
  /** Next.js frontend (not managed here; listed so nothing else takes it). */
  nextjs: 3000,
  /** Grafana, as in the chapter. */
  grafana: 3001,
  /** Prometheus' own default (the chapter said 9091, which the Pushgateway and user_service also used). */
  prometheus: 9090,
  /** Pushgateway's upstream default; the chapter's contract scripts push here. */
  pushgateway: 9091,
  /** user_service RPC metrics, as in the chapter. */
  userServiceRpc: 9092,
  /** Alertmanager web/API (the chapter also gave task_service 9093). */
  alertmanager: 9093,
  /** Alertmanager's gossip port (the chapter gave message_service 9094). */
  alertmanagerCluster: 9094,
  /** The goctl generation monitor of chapter 5.4.2. */
  goctlGeneration: 9095,
  /** task_service metrics (moved off Alertmanager's 9093). */
  taskService: 9096,
  /** message_service metrics (moved off Alertmanager's cluster port 9094). */
  messageService: 9097,
  /** Node Exporter's upstream default. */
  nodeExporter: 9100,
  /** user_service API metrics: the port the chapter's own Go code (5.3.2) serves /metrics on. */
  userServiceApi: 9101,
  /** mysqld_exporter's upstream default. */
  mysqlExporter: 9104,
  /** nginx-prometheus-exporter's upstream default. */
  nginxExporter: 9113,
  /** redis_exporter's upstream default. */
  redisExporter: 9121,
});

export type PortName = keyof typeof ports;
