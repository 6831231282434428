/**
 * The program's entry (package.json "main"). Pulumi calls the exported function and takes the object it resolves
 * to as the stack outputs; program.ts `deployStack` registers the stack.
 *
 * Why not program.ts itself: the engine starts the dynamic-provider process (Pulumi's `pulumi-nodejs` provider,
 * 0.3 s of Node.js start-up here) when the first resource that needs it is registered, and a program that loads and
 * registers in one synchronous run sends its registrations only when that run ends (0.6-0.8 s of loading, checking
 * and rendering here). So this registers the provider instance first, lets the registration leave (one turn of the
 * event loop), and only then loads the program: the provider starts while the program loads. Two stacks, the code
 * before and after, operations alternating: no-op preview 3.16 -> 2.90 s (medians of 8), no-op up 5.74 -> 5.14 s
 * (of 7; `pulumi up` runs the program twice).
 */
import * as pulumi from "@pulumi/pulumi";

/** An instance of Pulumi's `pulumi-nodejs` provider, the one that runs dynamic providers. It has no config. */
class DynamicProviderHost extends pulumi.ProviderResource {
  constructor(name: string) {
    super("pulumi-nodejs", name, {});
  }
}

export = async (): Promise<Record<string, unknown>> => {
  // Every dynamic-provider resource of the stack runs in this instance (deployStack passes it down).
  const dynamicProvider = new DynamicProviderHost("winyx-dynamic");
  await new Promise((resolve) => setImmediate(resolve));
  // Loaded here, not imported above: an import would load the whole program before the registration leaves.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { deployStack } = require("./program") as typeof import("./program");
  return deployStack(dynamicProvider);
};
