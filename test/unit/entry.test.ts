// The program's entry (index.ts): it registers the pulumi-nodejs provider instance, and that registration leaves
// before the program (program.ts) is loaded, so the engine can start the provider process while the program loads.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import entry from "../../index";

test("index.ts registers the provider instance winyx-dynamic before it loads program.ts, then runs deployStack", async () => {
  const programLoaded = () => Object.keys(require.cache).some((file) => file.endsWith("/program.ts"));
  const seen: { type: string; name: string; programLoaded: boolean }[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        seen.push({ type: args.type, name: args.name, programLoaded: programLoaded() });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    "winyx-monitoring",
    "unit",
    false,
  );
  assert.equal(programLoaded(), false, "importing the entry loads no program");
  // No stack config here: deployStack refuses it, naming a key, after the provider's registration.
  await assert.rejects(entry(), (e: Error) => e instanceof pulumi.RunError && /environment/.test(e.message));
  assert.equal(programLoaded(), true, "the entry ran the program");
  assert.deepEqual(seen[0], { type: "pulumi:providers:pulumi-nodejs", name: "winyx-dynamic", programLoaded: false });
});
