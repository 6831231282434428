/**
 * The base of this project's dynamic-provider resources.
 *
 * `pulumi.dynamic.Resource` serializes the provider object, and every function and module it
 * captures, into each resource's `__provider` input: 16-21 KB of JavaScript per resource, stored
 * again in the state for every resource (1.75 MB of a 2.0 MB state for the 51-resource dev stack),
 * sent over gRPC on every Check and Diff, and produced by Pulumi's closure serializer, which loads
 * the TypeScript compiler and npm's package tree reader into the program.
 *
 * This base stores instead a reference of a hundred bytes: the module under providers/ and the name
 * of the provider object it exports. The dynamic-provider process (Pulumi's `pulumi-nodejs`
 * provider, which evaluates `__provider` with require-from-string and calls its `handler()`) loads
 * that module through providers/load.cjs from the project directory, its working directory. So
 * refresh, destroy and updates run the project's current provider code, as with a provider plugin;
 * the dynamic provider host no longer replaces resources when provider code changes (Pulumi 3), so
 * each provider keeps reading the state its earlier versions wrote.
 *
 * The type token stays `pulumi-nodejs:dynamic/winyx:<Type>`, so stacks deployed with the serialized
 * form take the reference on their next `up` with no change shown: the providers' diff() compares
 * their own fields, never `__provider`.
 */
import * as pulumi from "@pulumi/pulumi";

/** Where the provider process finds a resource's provider. */
export interface ProviderReference {
  /** Module under providers/, without extension, e.g. `remoteFile`. */
  readonly module: string;
  /** The exported `pulumi.dynamic.ResourceProvider` object, e.g. `remoteFileProvider`. */
  readonly export: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * The `__provider` text for a reference: a CommonJS module whose `handler()` returns the provider.
 * Throws when a name is not a plain identifier (it is written into code).
 */
export function providerModuleText(reference: ProviderReference): string {
  if (!NAME.test(reference.module) || !NAME.test(reference.export)) {
    throw new Error(`provider reference ${JSON.stringify(reference)}: module and export must be plain identifiers`);
  }
  return (
    "exports.handler = function () {\n" +
    '  return require(require("node:path").join(process.cwd(), "providers", "load.cjs"))' +
    `.load(${JSON.stringify(reference.module)}, ${JSON.stringify(reference.export)});\n` +
    "};\n"
  );
}

/**
 * A dynamic-provider resource whose provider is referenced, not serialized. Subclasses pass their
 * provider's reference, the resource name, the inputs (output properties as `undefined`), options and
 * the type name; the type token is `pulumi-nodejs:dynamic/winyx:<type>`.
 */
export abstract class ReferencedDynamicResource extends pulumi.CustomResource {
  constructor(reference: ProviderReference, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, type: string) {
    if ("__provider" in props) throw new Error(`${type} ${name}: inputs must not define __provider`);
    super(`pulumi-nodejs:dynamic/winyx:${type}`, name, { ...props, __provider: providerModuleText(reference) }, opts);
  }
}
