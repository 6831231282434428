// A TCP relay on 127.0.0.1 for end-to-end tests: a stack reaches its host through it, so a test can put
// another host behind the same address (host keys) or follow a host whose published port changed (a
// restarted test host gets a new port from Docker).
import { connect, createServer } from "node:net";

export interface Relay {
  /** The port on 127.0.0.1 the stack's `target.port` names. */
  readonly port: number;
  /** Sends new connections to another port on 127.0.0.1 (existing ones stay where they are). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/** Starts a relay from a free port on 127.0.0.1 to `backendPort` on 127.0.0.1. */
export async function startRelay(backendPort: number): Promise<Relay> {
  let backend = backendPort;
  const server = createServer((client) => {
    const upstream = connect(backend, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    retarget: (port) => {
      backend = port;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
