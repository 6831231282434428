/**
 * Docker image references, checked against the reference grammar of the Docker distribution
 * project (github.com/distribution/reference, regexp.go and reference.go), which the Docker engine
 * and CLI use to parse `image:` values:
 *
 *     reference := name [ ":" tag ] [ "@" digest ]
 *     name      := [domain "/"] remote-name          (at most 255 characters)
 *     domain    := host [":" port]                   host: DNS labels separated by ".", or [IPv6]
 *     remote-name := path-component ["/" path-component]*
 *     path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator: "." | "_" | "__" | "-"+
 *     tag       := [\w][\w.-]{0,127}
 *     digest    := algorithm ":" hex                 sha256: exactly 64 lowercase hex digits
 *
 * No npm package of this grammar is well kept (the few ports are unmaintained), so it is written
 * here from the documented grammar; test/unit/config.test.ts holds the grammar's own examples.
 */

const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REFERENCE = new RegExp(`^((?:${domainAndPort}/)?${remoteName})(?::(${tag}))?(?:@(${digest}))?$`);

/** A parsed image reference. */
export interface ImageReference {
  /** Repository name with its registry, e.g. `registry.internal:5000/prom/prometheus`. */
  readonly name: string;
  readonly tag?: string;
  /** `sha256:<64 hex>`. */
  readonly digest?: string;
}

/**
 * Parses `text` as Docker does; returns the parts, or the reason it is not a reference (a string).
 * Stricter than Docker in one way, on purpose: a tag is required (no tag means `:latest`, which
 * changes under a running stack).
 */
export function parseImageReference(text: string): ImageReference | string {
  const match = REFERENCE.exec(text);
  if (match === null) {
    if (/[A-Z]/.test(text.split("@")[0]?.split("/").slice(-1)[0] ?? "")) return "is not a Docker image reference: repository names are lowercase";
    return "is not a Docker image reference (repository[:tag][@sha256:<digest>], lowercase repository)";
  }
  const [, name = "", tagPart, digestPart] = match;
  if (name.length > 255) return "is not a Docker image reference: the repository name is longer than 255 characters";
  if (digestPart !== undefined) {
    const [algorithm, hex = ""] = digestPart.split(":");
    if (algorithm !== "sha256" || !/^[0-9a-f]{64}$/.test(hex)) return `has digest ${JSON.stringify(digestPart)}: expected sha256: and 64 lowercase hex digits`;
  }
  if (tagPart === undefined) return "has no tag: pin one (repository:tag, optionally @sha256:<digest>); without it Docker pulls :latest, which changes under a running stack";
  return { name, tag: tagPart, ...(digestPart === undefined ? {} : { digest: digestPart }) };
}

/**
 * Docker's memory sizes (`--memory 512m`), as the CLI parses them (go-units RAMInBytes): a number,
 * optionally with a fraction, then an optional unit b, k, m, g, t or p (any case, binary multiples,
 * an optional "i" and "b" after it: `512m`, `1.5g`, `512MiB`). Returns bytes, or a reason (a string).
 */
export function parseMemoryBytes(text: string): number | string {
  const match = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (match === null) return `${JSON.stringify(text)} is not a Docker memory size (a number with b, k, m or g, like "512m" or "1.5g")`;
  const powers: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };
  const unit = match[2]?.toLowerCase();
  return Math.floor(Number(match[1]) * 1024 ** (unit === undefined ? 0 : (powers[unit] as number)));
}
