// A TCP port free on 127.0.0.1 right now, for a real server a test starts (Alertmanager, an SMTP sink).
import { createServer } from "node:net";

/** Resolves to a port the kernel just handed out on 127.0.0.1 and released; rejects when none can be bound. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
