// `composec convert --kubernetes`: the project as Kubernetes manifests (pure: the project and,
// only with --include-values, the secret values in; documents out). docs/kubernetes.md maps each
// Compose secret rule to its Kubernetes form and says what cannot map.
import path from "node:path";
import type { Project, Service, ServiceSecret } from "../model/project.js";
import { SECRETS_DIR } from "../model/secret-rules.js";
import type { SecretValue } from "../secrets/secret-value.js";

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string } & Record<string, unknown>;
};

export interface ConvertResult {
  /** File name (in the output directory) to manifest. */
  files: Map<string, Manifest>;
  /** What did not map exactly, said once each. */
  warnings: string[];
}

/** The data key each Secret and ConfigMap holds its one value under. */
export const VALUE_KEY = "value";
const PART_OF = "app.kubernetes.io/part-of";
const NAME = "app.kubernetes.io/name";

/** A DNS-1123 name from compose names: lower case, `-` for anything else, at most 63 characters. */
export function kubeName(...parts: string[]): string {
  const name = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name === "" ? "x" : name;
}

/**
 * Converts the project. `values` holds the secret values (only with --include-values); without
 * it each Secret is a placeholder, with an annotation saying how to fill it.
 */
export function convertToKubernetes(
  project: Project,
  values?: ReadonlyMap<string, SecretValue>,
): ConvertResult {
  const files = new Map<string, Manifest>();
  const warnings = new Set<string>();
  const labels = { [PART_OF]: project.name };

  const usedSecrets = new Set(Object.values(project.services).flatMap((s) => s.secrets.map((g) => g.source)));
  for (const key of [...usedSecrets].sort()) {
    const definition = project.secrets[key];
    if (!definition) continue;
    const name = secretName(project, key);
    const value = values?.get(key);
    const fill = `kubectl create secret generic ${name} --from-file=${VALUE_KEY}=<file> --dry-run=client -o yaml | kubectl apply -f -`;
    files.set(`secret-${name}.yaml`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        labels: { ...labels, "composec.io/secret": kubeName(key) },
        ...(value ? {} : { annotations: { "composec.io/fill": fill } }),
      },
      type: "Opaque",
      // A placeholder carries no data: applying it makes an empty Secret that must be filled.
      ...(value ? { data: { [VALUE_KEY]: value.bytes().toString("base64") } } : {}),
    });
  }
  const usedConfigs = new Set(Object.values(project.services).flatMap((s) => s.configs.map((g) => g.source)));
  for (const key of [...usedConfigs].sort()) {
    const definition = project.configs[key];
    if (!definition) continue;
    const name = kubeName(project.name, key);
    const content = definition.source.kind === "content" ? definition.source.content : undefined;
    if (content === undefined) {
      warnings.add(
        `config ${key}: only inline content is written; fill ConfigMap ${name} from its ${definition.source.kind} source`,
      );
    }
    files.set(`configmap-${name}.yaml`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, labels },
      data: content === undefined ? {} : { [VALUE_KEY]: content },
    });
  }

  for (const service of Object.values(project.services).sort((a, b) => a.name.localeCompare(b.name))) {
    const name = kubeName(service.name);
    files.set(`deployment-${name}.yaml`, deployment(project, service, warnings));
    const published = service.ports.filter((p) => p.published !== undefined);
    if (published.length > 0) {
      files.set(`service-${name}.yaml`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, labels: { ...labels, [NAME]: name } },
        spec: {
          type: "LoadBalancer",
          selector: { [PART_OF]: project.name, [NAME]: name },
          ports: published.map((port) => ({
            name: `${port.protocol}-${(port.published ?? "").split("-")[0]}`,
            port: Number((port.published ?? "").split("-")[0]),
            targetPort: port.target,
            protocol: port.protocol.toUpperCase(),
          })),
        },
      });
    }
  }
  return { files, warnings: [...warnings] };
}

function secretName(project: Project, key: string): string {
  return kubeName(project.name, key);
}

function deployment(project: Project, service: Service, warnings: Set<string>): Manifest {
  const name = kubeName(service.name);
  const selector = { [PART_OF]: project.name, [NAME]: name };
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];

  // Grants under /run/secrets share one projected volume there; each other target is one file
  // mounted by subPath, so the directory around it stays the image's.
  const grants = service.secrets.map((grant) => ({ grant, kind: "secret" as const }));
  const configs = service.configs.map((grant) => ({ grant, kind: "config" as const }));
  const inside = grants.filter(({ grant }) => grant.target.startsWith(`${SECRETS_DIR}/`));
  if (inside.length > 0) {
    volumes.push({
      name: "secrets",
      projected: {
        defaultMode: 0o444,
        sources: inside.map(({ grant }) => ({
          secret: {
            name: secretName(project, grant.source),
            items: [{ key: VALUE_KEY, path: grant.target.slice(SECRETS_DIR.length + 1), mode: grant.mode }],
          },
        })),
      },
    });
    mounts.push({ name: "secrets", mountPath: SECRETS_DIR, readOnly: true });
  }
  [...grants.filter((g) => !inside.includes(g)), ...configs].forEach(({ grant, kind }, index) => {
    const volume = `${kind}-${index}`;
    const file = path.posix.basename(grant.target);
    const items = [{ key: VALUE_KEY, path: file, mode: grant.mode }];
    volumes.push(
      kind === "secret"
        ? {
            name: volume,
            secret: { secretName: secretName(project, grant.source), defaultMode: grant.mode, items },
          }
        : {
            name: volume,
            configMap: { name: kubeName(project.name, grant.source), defaultMode: grant.mode, items },
          },
    );
    mounts.push({ name: volume, mountPath: grant.target, subPath: file, readOnly: true });
  });
  const securityContext = ownership(service, [...service.secrets, ...service.configs], warnings);

  service.volumes.forEach((mount, index) => {
    const volume = `volume-${index}`;
    if (mount.type === "tmpfs") volumes.push({ name: volume, emptyDir: { medium: "Memory" } });
    else {
      warnings.add(
        `services.${service.name}.volumes: ${mount.type} mounts become emptyDir volumes; give them a PersistentVolumeClaim`,
      );
      volumes.push({ name: volume, emptyDir: {} });
    }
    mounts.push({ name: volume, mountPath: mount.target, ...(mount.readOnly ? { readOnly: true } : {}) });
  });

  const env = Object.entries(service.environment)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ name: key, value }));
  const container: Record<string, unknown> = {
    name,
    image: service.image ?? `${project.name}-${service.name}`,
    ...(service.entrypoint ? { command: service.entrypoint } : {}),
    ...(service.command ? { args: service.command } : {}),
    ...(service.workingDir !== undefined ? { workingDir: service.workingDir } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(service.ports.length > 0
      ? { ports: service.ports.map((p) => ({ containerPort: p.target, protocol: p.protocol.toUpperCase() })) }
      : {}),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(service.readOnly ? { securityContext: { readOnlyRootFilesystem: true } } : {}),
  };
  const limits = service.deploy?.resources?.limits;
  const memory = limits?.memory ?? service.memLimit;
  const cpus = limits?.cpus ?? service.cpus;
  if (memory !== undefined || cpus !== undefined) {
    container.resources = {
      limits: {
        ...(memory !== undefined ? { memory: String(memory) } : {}),
        ...(cpus !== undefined ? { cpu: String(cpus) } : {}),
      },
    };
  }
  const probe = healthProbe(service);
  if (probe) container.livenessProbe = probe;
  if (service.build && !service.image) {
    warnings.add(
      `services.${service.name}: built images must be pushed where the cluster pulls; the manifest names ${String(container.image)}`,
    );
  }
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: selector },
    spec: {
      replicas: service.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          ...(securityContext ? { securityContext } : {}),
          containers: [container],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
}

/**
 * Kubernetes cannot own one mounted file by one uid: the pod's runAsUser and fsGroup stand in
 * when a grant asks for a uid or gid other than 0 (the process then runs as that uid, and the
 * files' group is that gid). Grants asking for different ones cannot all be honoured.
 */
function ownership(
  service: Service,
  grants: ServiceSecret[],
  warnings: Set<string>,
): Record<string, number> | undefined {
  const uids = new Set(grants.map((g) => g.uid).filter((uid) => uid !== 0));
  const gids = new Set(grants.map((g) => g.gid).filter((gid) => gid !== 0));
  if (uids.size > 1 || gids.size > 1) {
    warnings.add(
      `services.${service.name}.secrets: different uid/gid per file cannot map to one pod; the first is used`,
    );
  }
  const context: Record<string, number> = {};
  const user =
    service.user !== undefined && /^\d+$/.test(service.user.split(":")[0] ?? "")
      ? Number(service.user.split(":")[0])
      : undefined;
  const uid = [...uids][0] ?? user;
  if (uid !== undefined) context.runAsUser = uid;
  const gid = [...gids][0];
  if (gid !== undefined) context.fsGroup = gid;
  return Object.keys(context).length > 0 ? context : undefined;
}

function healthProbe(service: Service): Record<string, unknown> | undefined {
  const health = service.healthcheck;
  if (!health || health.disable || !health.test || health.test.length === 0) return undefined;
  const [kind, ...rest] = health.test;
  const command =
    kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : kind === "CMD" ? rest : undefined;
  if (!command) return undefined;
  const seconds = (ns: number | undefined) =>
    ns === undefined ? undefined : Math.max(1, Math.round(ns / 1e9));
  const probe: Record<string, unknown> = { exec: { command } };
  if (seconds(health.interval) !== undefined) probe.periodSeconds = seconds(health.interval);
  if (seconds(health.timeout) !== undefined) probe.timeoutSeconds = seconds(health.timeout);
  if (seconds(health.startPeriod) !== undefined) probe.initialDelaySeconds = seconds(health.startPeriod);
  if (health.retries !== undefined) probe.failureThreshold = health.retries;
  return probe;
}
