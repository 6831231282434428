// Dynamic providers as the Pulumi engine runs them: serialized by Pulumi's closure serializer, then loaded back
// the way the dynamic-provider process loads them, so a test exercises exactly the code a deployment ships.
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";

/** The provider operations a test drives; `update` is absent from providers whose every change replaces. */
export type LoadedProvider = Required<Pick<pulumi.dynamic.ResourceProvider, "check" | "diff" | "create" | "read" | "update" | "delete">>;

/** Serializes a provider as pulumi.dynamic.Resource does and loads it as the dynamic-provider process does. */
export async function asEngineLoadsIt(provider: pulumi.dynamic.ResourceProvider): Promise<LoadedProvider> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const filename = `${process.cwd()}/__dynamic_provider.js`;
  const m = new Module(filename) as Module & { _compile(src: string, filename: string): void; paths: string[] };
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(serialized.text, filename);
  const loaded = (m.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
  const missing = (["check", "diff", "create", "read", "delete"] as const).filter((op) => typeof loaded[op] !== "function");
  if (missing.length > 0) throw new Error(`the provider has no ${missing.join(", ")}`);
  return loaded as LoadedProvider;
}
