// `ps` as a library function: the project's containers, described as `docker compose ps` does.
import type { ContainerListEntry, Engine } from "../engine/client.js";
import { LABEL, isSecretsHolder } from "../model/names.js";

export interface PsOptions {
  /** `-a`: stopped containers too (default: running ones only, as in Compose). */
  all?: boolean;
  /** Only these services' containers. */
  services?: string[];
}

export interface Publisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** One container, with Compose's `ps --format json` field names. */
export interface ContainerSummary {
  ID: string;
  Name: string;
  Image: string;
  Command: string;
  Project: string;
  Service: string;
  /** Unix seconds. */
  Created: number;
  State: string;
  Status: string;
  Health: string;
  ExitCode: number;
  Publishers: Publisher[];
  Labels: Record<string, string>;
}

/** The project's containers, sorted by name; one-off containers included. */
export async function ps(
  projectName: string,
  engine: Engine,
  options: PsOptions = {},
): Promise<ContainerSummary[]> {
  const wanted = new Set(options.services ?? []);
  const containers = await engine.listProjectContainers(projectName, { all: options.all ?? false });
  return containers
    .filter((info) => !isSecretsHolder(info.Labels))
    .map(toSummary)
    .filter((container) => wanted.size === 0 || wanted.has(container.Service))
    .sort((a, b) => a.Name.localeCompare(b.Name));
}

function toSummary(info: ContainerListEntry): ContainerSummary {
  const labels = info.Labels ?? {};
  const status = info.Status ?? "";
  // The listing carries health and exit code only inside Status ("Up 3s (healthy)", "Exited (1) 2s ago").
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1]?.replace("health: ", "") ?? "";
  const exit = /^Exited \((-?\d+)\)/.exec(status)?.[1];
  return {
    ID: info.Id,
    Name: (info.Names[0] ?? info.Id).replace(/^\//, ""),
    Image: info.Image,
    Command: info.Command,
    Project: labels[LABEL.project] ?? "",
    Service: labels[LABEL.service] ?? "",
    Created: info.Created,
    State: info.State,
    Status: status,
    Health: health,
    ExitCode: exit === undefined ? 0 : Number(exit),
    Publishers: (info.Ports ?? [])
      .map((port) => ({
        URL: port.IP ?? "",
        TargetPort: port.PrivatePort,
        PublishedPort: port.PublicPort ?? 0,
        Protocol: port.Type,
      }))
      .sort((a, b) => a.TargetPort - b.TargetPort || a.URL.localeCompare(b.URL)),
    Labels: labels,
  };
}

/** Compose's PORTS column: `0.0.0.0:8080->80/tcp, :::8080->80/tcp, 9000/tcp`. */
export function formatPorts(publishers: Publisher[]): string {
  return publishers
    .map((port) => {
      if (port.PublishedPort === 0) return `${port.TargetPort}/${port.Protocol}`;
      const host = port.URL.includes(":") ? `[${port.URL}]` : port.URL;
      return `${host === "[::]" ? ":::" : `${host}:`}${port.PublishedPort}->${port.TargetPort}/${port.Protocol}`;
    })
    .join(", ");
}
