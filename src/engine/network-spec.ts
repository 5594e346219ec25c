// Project Network -> the Engine's network create body. Pure; the executor only sends it.
import type { NetworkCreateBody, NetworkIpam } from "./types.js";
import { networkConfigHash } from "../model/config-hash.js";
import { LABEL, networkLabels } from "../model/names.js";
import type { Network } from "../model/project.js";

/** The body of POST /networks/create for a project network. */
export function networkCreateBody(
  projectName: string,
  key: string,
  name: string,
  network: Network,
): NetworkCreateBody {
  const body: NetworkCreateBody = {
    Name: name,
    CheckDuplicate: true,
    Driver: network.driver,
    Options: network.driverOpts,
    Labels: {
      ...networkLabels(projectName, key, network.labels),
      [LABEL.configHash]: networkConfigHash(network),
    },
    Internal: network.internal,
    Attachable: network.attachable,
    EnableIPv6: network.enableIpv6,
  };
  // Sent only when written: engines before API 1.48 have no such member (api-version.ts refuses false).
  if (network.enableIpv4 !== undefined) body["EnableIPv4"] = network.enableIpv4;
  if (network.ipam !== undefined) {
    const ipam = network.ipam;
    body.IPAM = {
      Driver: ipam.driver ?? "default",
      Config: ipam.config.map((pool) => {
        const config: Record<string, unknown> = {};
        if (pool.subnet !== undefined) config["Subnet"] = pool.subnet;
        if (pool.ipRange !== undefined) config["IPRange"] = pool.ipRange;
        if (pool.gateway !== undefined) config["Gateway"] = pool.gateway;
        if (Object.keys(pool.auxAddresses).length > 0) config["AuxiliaryAddresses"] = pool.auxAddresses;
        return config;
      }),
      Options: ipam.options,
    } satisfies NetworkIpam;
  }
  return body;
}
