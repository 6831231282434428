/** APT repository entries: deb822 `.sources` files with the repository's own keyring (no apt-key). */
import { shellQuote } from "../providers/ssh";
import { hostPaths } from "./systemd";

export interface AptRepository {
  /** File name under /etc/apt/sources.list.d, without `.sources`. */
  readonly name: string;
  readonly uri: string;
  readonly suite: string;
  readonly components: readonly string[];
  /** Absolute path of the repository's key (armored `.asc` or binary `.gpg`: apt goes by the extension), referenced by Signed-By. */
  readonly keyring: string;
}

/** Grafana's official repository (the chapter's packages.grafana.com moved there; apt-key is deprecated). */
export const grafanaRepositoryUrl = "https://apt.grafana.com";

/** Grafana's repository at `uri`: the official one, or a site's mirror of it (same suite and component). */
export function grafanaRepository(uri: string = grafanaRepositoryUrl): AptRepository {
  return { name: "grafana", uri, suite: "stable", components: ["main"], keyring: "/etc/apt/keyrings/grafana.asc" };
}

export function aptSourcePath(repo: AptRepository): string {
  return `/etc/apt/sources.list.d/${repo.name}.sources`;
}

function sourceLines(repo: AptRepository): string[] {
  return ["Types: deb", `URIs: ${repo.uri}`, `Suites: ${repo.suite}`, `Components: ${repo.components.join(" ")}`, `Signed-By: ${repo.keyring}`];
}

export function renderAptSource(repo: AptRepository): string {
  return ["# Managed by winyx-monitoring (Pulumi).", ...sourceLines(repo), ""].join("\n");
}

/** Where the deploy puts the repository check (render/apt.ts renderAptRepositoryCheck). */
export const aptRepositoryCheckPath = `${hostPaths.winyxLibexec}/apt-repository-check`;

/**
 * The check a repository's key and sources entry pass before they go live (RemoteFile `validate`):
 * `apt-get update` of that one repository into a scratch directory, which fails unless the
 * repository answers and its Release file is signed by the key. A wrong key or URL thus fails the
 * deploy and leaves the live entry as it was, instead of going live and failing every later
 * `apt-get update` on the host. The host's package lists and caches are not touched.
 */
export function renderAptRepositoryCheck(): string {
  return `#!/bin/sh
# Managed by winyx-monitoring (Pulumi). Checks an APT repository before its files go live:
#   apt-repository-check keyring <new key file> <uri> <suite> <component>...
#   apt-repository-check source <new .sources file>   (its Signed-By keyring already in place)
set -eu
mode=$1
file=$2
shift 2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/parts" "$d/lists/partial" "$d/cache/archives/partial"
case $mode in
  keyring)
    uri=$1
    suite=$2
    shift 2
    # apt reads a keyring only under a .asc (armored) or .gpg (binary) name.
    if grep -q -e '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$file"; then key="$d/key.asc"; else key="$d/key.gpg"; fi
    cp "$file" "$key"
    printf 'Types: deb\\nURIs: %s\\nSuites: %s\\nComponents: %s\\nSigned-By: %s\\n' "$uri" "$suite" "$*" "$key" >"$d/check.sources"
    ;;
  source)
    cp "$file" "$d/check.sources"
    ;;
  *)
    echo "usage: $0 keyring <key> <uri> <suite> <component>... | source <file>" >&2
    exit 2
    ;;
esac
status=0
out=$(apt-get update -q -o Dir::Etc::SourceList="$d/check.sources" -o Dir::Etc::SourceParts="$d/parts" \\
  -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o APT::Sandbox::User=root 2>&1) || status=$?
# apt-get update exits 0 after some failed fetches; a Packages list is kept only from a verified Release.
if [ "$status" -ne 0 ] || printf '%s\\n' "$out" | grep -Eq '^(W|E|Err):' || ! ls "$d/lists" | grep -Eq '_Packages($|[.])'; then
  printf '%s\\n' "$out" | grep -Ev '^(Get|Hit|Ign):|^Reading package lists' >&2 || true
  echo "no verified package list from this repository with this key (wrong key or URL?)" >&2
  exit 1
fi
`;
}

/**
 * The `validate` command of a repository file: `{}` is the new key (checked against `repo`'s URL), or
 * the new `.sources` file (checked with the keyring it names, already in place: the key is written first).
 */
export function aptRepositoryCheck(repo: AptRepository, candidate: "keyring" | "source"): string {
  if (candidate === "source") return `${aptRepositoryCheckPath} source {}`;
  return [aptRepositoryCheckPath, "keyring", "{}", repo.uri, repo.suite, ...repo.components].map((w) => (w === "{}" || /^[A-Za-z0-9_%+=:,./-]+$/.test(w) ? w : shellQuote(w))).join(" ");
}
