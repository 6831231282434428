// An Alertmanager webhook receiver in the test process, for stacks on the machine's Docker engine: it listens on
// the default bridge's address (docker0, the engine's `host-gateway`), which the stack's containers reach as
// host.docker.internal and nothing outside this machine does.
import { createServer, type Server } from "node:http";
import { execFileSync } from "node:child_process";
import type { ReceivedAlert } from "./webhook";

export interface LocalWebhook {
  /** The URL as the stack's Alertmanager reaches it. */
  readonly url: string;
  /** Every alert posted so far, oldest first. */
  alerts(): ReceivedAlert[];
  close(): Promise<void>;
}

/**
 * docker0's IPv4 address (the engine's host-gateway); throws when the machine has no docker0. Read with `ip`:
 * Node's os.networkInterfaces() leaves out docker0 while no container uses the default bridge (link down).
 */
export function dockerBridgeAddress(): string {
  let out = "";
  try {
    out = execFileSync("ip", ["-4", "-o", "addr", "show", "docker0"], { encoding: "utf8" });
  } catch {
    // No docker0: said below.
  }
  const address = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
  if (!address) throw new Error("no docker0 interface with an IPv4 address: is the Docker engine running (bash scripts/setup.sh)?");
  return address;
}

export async function startLocalWebhook(): Promise<LocalWebhook> {
  const received: ReceivedAlert[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alerts?: ReceivedAlert[] };
          received.push(...(body.alerts ?? []));
        } catch {
          // Not Alertmanager's JSON: nothing to record.
        }
      }
      res.writeHead(200).end("ok\n");
    });
  });
  const host = dockerBridgeAddress();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("webhook receiver: no address");
  return {
    url: `http://host.docker.internal:${address.port}/alerts`,
    alerts: () => [...received],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
