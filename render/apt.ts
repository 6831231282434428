/** APT repository entries: deb822 `.sources` files with the repository's own keyring (no apt-key). */

export interface AptRepository {
  /** File name under /etc/apt/sources.list.d, without `.sources`. */
  readonly name: string;
  readonly uri: string;
  readonly suite: string;
  readonly components: readonly string[];
  /** Absolute path of the repository's key (armored or binary), referenced by Signed-By. */
  readonly keyring: string;
}

/** Grafana's repository (the chapter's packages.grafana.com moved to apt.grafana.com; apt-key is deprecated). */
export const grafanaRepository: AptRepository = {
  name: "grafana",
  uri: "https://apt.grafana.com",
  suite: "stable",
  components: ["main"],
  keyring: "/etc/apt/keyrings/grafana.asc",
};

export function aptSourcePath(repo: AptRepository): string {
  return `/etc/apt/sources.list.d/${repo.name}.sources`;
}

export function renderAptSource(repo: AptRepository): string {
  return [
    "# Managed by winyx-monitoring (Pulumi).",
    "Types: deb",
    `URIs: ${repo.uri}`,
    `Suites: ${repo.suite}`,
    `Components: ${repo.components.join(" ")}`,
    `Signed-By: ${repo.keyring}`,
    "",
  ].join("\n");
}
