/**
 * The host firewall (firewall.enabled, SSH target): the nftables package, our table loaded from the
 * rendered ruleset (providers/nftRuleset.ts: checked with `nft -c`, loaded in one transaction, read
 * back for drift), and the oneshot unit that loads it again at boot (render/firewall.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { pinnedPackages } from "../model/packageVersions";
import { AptPackages } from "../providers/aptPackages";
import { NftRuleset } from "../providers/nftRuleset";
import { SystemdService } from "../providers/systemdService";
import { firewallPaths, firewallTable, firewallUnit } from "../render/firewall";
import { hostFile, renderedFile, type HostComponentArgs } from "./common";

export interface FirewallArgs extends HostComponentArgs {
  /** The firewall's files renderStack rendered (`firewall/`), keyed by host path: the ruleset and the unit. */
  readonly files: Readonly<Record<string, string>>;
  /** The port sshd answers on, on the host (spec.firewall.sshPort): the ruleset must accept it. */
  readonly sshPort: number;
}

export class Firewall extends pulumi.ComponentResource {
  /** Our table as listed on the host at the last up/refresh. */
  public readonly listing: pulumi.Output<string>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("winyx:monitoring:Firewall", name, {}, opts);
    const packages = new AptPackages(`${name}-packages`, { connection: args.connection, packages: pinnedPackages(args.packageVersions ?? {}, ["nftables"]) }, { parent: this });
    const ruleset = new NftRuleset(
      `${name}-ruleset`,
      {
        connection: args.connection,
        path: firewallPaths.ruleset,
        ruleset: renderedFile(args.files, firewallPaths.ruleset),
        table: `${firewallTable.family} ${firewallTable.name}`,
        sshPort: args.sshPort,
      },
      { parent: this, dependsOn: [packages] },
    );
    const unit = hostFile(this, name, "unit", { connection: args.connection, path: firewallPaths.unit, content: renderedFile(args.files, firewallPaths.unit), mode: "0644" }, [packages]);
    // Enabled for the next boot; the ruleset is already loaded, so a restart trigger would only reload it.
    new SystemdService(`${name}-service`, { connection: args.connection, unit: firewallUnit, restartTriggers: { unit: unit.sha256 } }, { parent: this, dependsOn: [unit, ruleset] });
    this.listing = ruleset.listing;
    this.registerOutputs({});
  }
}
