// Names and labels of everything composec creates on the engine, in one place.
//
// They are exactly Compose v2's, so `docker ps --filter label=com.docker.compose.project=demo`,
// `docker compose ps` and the tools built on Compose's labels see our resources, and we see theirs:
//
//   container   <project>-<service>-<number>   (or the service's `container_name`)
//   one-off     <project>-<service>-run-<slug>
//   network     <project>_<key>                (the loader already resolved it: Network.name)
//   volume      <project>_<key>                (likewise: Volume.name)
//   image       <project>-<service>            (what `build:` makes, unless `image:` names it)
//
// Labels on a service container:
//   com.docker.compose.project                  project name: what every lookup filters on
//   com.docker.compose.service                  service name
//   com.docker.compose.container-number         1, 2, ... (absent on one-off containers)
//   com.docker.compose.oneoff                   "False", or "True" for `run` containers
//   com.docker.compose.config-hash              configHash(): a changed value means "recreate"
//   com.docker.compose.image                    image id the container was created from
//   com.docker.compose.depends_on               "db:service_healthy:false,..." (sorted)
//   com.docker.compose.version                  version of the tool that created it (composec's)
//   com.docker.compose.project.working_dir      absolute project directory
//   com.docker.compose.project.config_files     compose files, comma-separated
// On networks and volumes: project, version, and com.docker.compose.network / .volume (the key);
// networks also carry com.docker.compose.config-hash (networkConfigHash()): changed on `up`, the
// network is recreated.
// On built images: project, service and version, as Compose v2 labels them.
// Our own labels live under io.composec. and never carry a secret value.
import { COMPOSEC_VERSION } from "../version.js";
import type { Dependency, Project, Service } from "./project.js";

export const LABEL = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  containerNumber: "com.docker.compose.container-number",
  oneoff: "com.docker.compose.oneoff",
  configHash: "com.docker.compose.config-hash",
  image: "com.docker.compose.image",
  dependsOn: "com.docker.compose.depends_on",
  version: "com.docker.compose.version",
  workingDir: "com.docker.compose.project.working_dir",
  configFiles: "com.docker.compose.project.config_files",
  network: "com.docker.compose.network",
  volume: "com.docker.compose.volume",
  slug: "com.docker.compose.slug",
  /** composec's own version, beside Compose's label, so our resources can be told apart. */
  composecVersion: "io.composec.version",
  externalSecrets: "io.composec.external-secrets",
} as const;

/** Prefix of composec's own labels. */
export const COMPOSEC_LABEL_PREFIX = "io.composec.";

/**
 * Label (value: the project name) of the short-lived container the env-var shim creates to look for
 * a shell in an image; `down` and `up` remove one a killed run left behind.
 */
export const SHIM_PROBE_LABEL = `${COMPOSEC_LABEL_PREFIX}shim-probe`;

/** The `label=` filter value that finds a project's env-shim probe containers. */
export function shimProbeFilter(projectName: string): string {
  return `${SHIM_PROBE_LABEL}=${projectName}`;
}

// Engine-side secret delivery (docs/engine-side-delivery.md): per project one tmpfs volume holding
// the material, kept mounted by one holder container; the holder's image is shared by every project.
//   volume      composec-secrets.<project>        labels: project, io.composec.secrets-material=true
//   container   <project>-secrets-holder          labels: project, io.composec.secrets-holder=true,
//                                                 com.docker.compose.oneoff=True (not a service)
//   image       composec-secrets-holder:<12 hex>  label io.composec.secrets-holder=1

/** Label of the volume holding a project's secret material on the engine. */
export const SECRETS_MATERIAL_LABEL = `${COMPOSEC_LABEL_PREFIX}secrets-material`;
/** Label of the holder container (value "true") and of its image (value "1"). */
export const SECRETS_HOLDER_LABEL = `${COMPOSEC_LABEL_PREFIX}secrets-holder`;
/** Repository of the holder's image; the tag is the start of the executable's sha256. */
export const SECRETS_HOLDER_IMAGE = "composec-secrets-holder";

/**
 * `composec-secrets.<project>`: the tmpfs volume with a project's secret material on the engine's
 * host. Never `<project>_<key>`, the name Compose gives a top-level volume `<key>`: a project
 * declaring `volumes: { secrets: {} }` would get this volume mounted read-write into its services
 * (every service's material and the digest key). A project name has no dot, so no `<project>_<key>`
 * is this name.
 */
export function secretsVolumeName(projectName: string): string {
  return `composec-secrets.${projectName}`;
}

/** `<project>-secrets-holder`: the container that keeps the secrets volume mounted. */
export function secretsHolderName(projectName: string): string {
  return `${projectName}-secrets-holder`;
}

/** Whether a container with these labels is a secrets holder: no service's, never listed as one. */
export function isSecretsHolder(labels: Record<string, string> | undefined): boolean {
  return labels?.[SECRETS_HOLDER_LABEL] === "true";
}

/** Labels of a project's secrets volume. */
export function secretsVolumeLabels(projectName: string): Record<string, string> {
  return {
    [LABEL.project]: projectName,
    [SECRETS_MATERIAL_LABEL]: "true",
    [LABEL.version]: COMPOSEC_VERSION,
    [LABEL.composecVersion]: COMPOSEC_VERSION,
  };
}

/** Labels of a project's holder container: a one-off, so service listings and `ps` leave it out. */
export function secretsHolderLabels(projectName: string): Record<string, string> {
  return {
    [LABEL.project]: projectName,
    [SECRETS_HOLDER_LABEL]: "true",
    [LABEL.oneoff]: "True",
    [LABEL.version]: COMPOSEC_VERSION,
    [LABEL.composecVersion]: COMPOSEC_VERSION,
  };
}

/** Name of a service's container number `number` (1-based). */
export function containerName(
  projectName: string,
  service: Pick<Service, "name" | "containerName">,
  number: number,
): string {
  return service.containerName ?? `${projectName}-${service.name}-${number}`;
}

/** Name of a one-off (`run`) container; `slug` is random hex from the caller (names stay testable). */
export function oneoffContainerName(projectName: string, serviceName: string, slug: string): string {
  return `${projectName}-${serviceName}-run-${slug.slice(0, 12)}`;
}

/** Name of the image `build:` makes for a service: its `image:`, else `<project>-<service>`. */
export function imageName(projectName: string, service: Pick<Service, "name" | "image">): string {
  return service.image ?? `${projectName}-${service.name}`;
}

/** Labels of an image built for a service (the build's own labels first, ours on top). */
export function imageLabels(
  projectName: string,
  serviceName: string,
  own: Record<string, string> = {},
): Record<string, string> {
  return {
    ...own,
    [LABEL.project]: projectName,
    [LABEL.service]: serviceName,
    [LABEL.version]: COMPOSEC_VERSION,
  };
}

/** The `label=` filter value that finds every resource of a project. */
export function projectFilter(projectName: string): string {
  return `${LABEL.project}=${projectName}`;
}

/** `com.docker.compose.depends_on`: `service:condition:restart`, comma-separated, sorted. */
export function dependsOnLabel(dependsOn: Record<string, Dependency>): string {
  return Object.keys(dependsOn)
    .sort()
    .map((name) => {
      const dependency = dependsOn[name] as Dependency;
      return `${name}:${dependency.condition}:${dependency.restart}`;
    })
    .join(",");
}

export interface ContainerLabelInput {
  project: Pick<Project, "name" | "workingDir" | "composeFiles" | "secrets"> &
    Partial<Pick<Project, "configs">>;
  service: Service;
  number: number;
  configHash: string;
  /** Image id the container is created from, when known. */
  imageId?: string;
}

/**
 * Labels of a service container: the service's own labels, then ours on top (a user label can
 * never hide a container from its project).
 */
export function containerLabels(input: ContainerLabelInput): Record<string, string> {
  const { project, service } = input;
  const labels: Record<string, string> = {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.containerNumber]: String(input.number),
    [LABEL.oneoff]: "False",
    [LABEL.configHash]: input.configHash,
    [LABEL.dependsOn]: dependsOnLabel(service.dependsOn),
    [LABEL.version]: COMPOSEC_VERSION,
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.composeFiles.join(","),
    [LABEL.composecVersion]: COMPOSEC_VERSION,
  };
  if (input.imageId !== undefined) labels[LABEL.image] = input.imageId;
  // Store names (never values) of the external secrets the container holds: `composec secret rm`
  // refuses to remove one that a running container uses.
  // External configs come from the same store, so they count too.
  const external = [
    ...service.secrets.map((grant) => project.secrets[grant.source]?.source),
    ...service.configs.map((grant) => project.configs?.[grant.source]?.source),
  ].flatMap((source) => (source?.kind === "external" ? [source.name] : []));
  if (external.length > 0) labels[LABEL.externalSecrets] = [...new Set(external)].sort().join(",");
  return labels;
}

/** Labels of a project network or volume: the user's own first, ours on top. */
function resourceLabels(
  kindLabel: string,
  projectName: string,
  key: string,
  own: Record<string, string>,
): Record<string, string> {
  return {
    ...own,
    [LABEL.project]: projectName,
    [kindLabel]: key,
    [LABEL.version]: COMPOSEC_VERSION,
    [LABEL.composecVersion]: COMPOSEC_VERSION,
  };
}

/** Labels of a project network. */
export function networkLabels(projectName: string, key: string, own: Record<string, string> = {}) {
  return resourceLabels(LABEL.network, projectName, key, own);
}

/** Labels of a project volume. */
export function volumeLabels(projectName: string, key: string, own: Record<string, string> = {}) {
  return resourceLabels(LABEL.volume, projectName, key, own);
}

/** Human names of resources in progress lines and errors, as Compose prints them. */
export const resourceTitle = {
  container: (name: string) => `Container ${name}`,
  network: (name: string) => `Network ${name}`,
  volume: (name: string) => `Volume ${name}`,
} as const;

// Swarm stacks (`composec deploy`), named exactly as `docker stack deploy` names them, so
// `docker stack ps <stack>` sees our stacks and we see theirs:
//   service   <stack>_<service>
//   network   <stack>_<key>                 (Network.name, as for `up`)
//   secret    <stack>_<key>_<digest>        (digest: keyed HMAC of the value, see swarm/digest.ts)
//   config    <stack>_<key>_<digest>
// Every one of them carries com.docker.stack.namespace=<stack>.
export const STACK_LABEL = {
  namespace: "com.docker.stack.namespace",
  image: "com.docker.stack.image",
  /** Which compose key a versioned secret or config holds (never its value). */
  key: "io.composec.key",
  /** Hash of the service spec composec sent (names and digests only): unchanged means no update. */
  specHash: "io.composec.spec-hash",
} as const;

/** `<stack>_<service>`: a stack's service name on the Swarm. */
export function stackServiceName(stack: string, service: string): string {
  return `${stack}_${service}`;
}

/** `<stack>_<key>_<digest>`: a versioned secret or config; a new value makes a new name. */
export function stackVersionedName(stack: string, key: string, digest: string): string {
  return `${stack}_${key}_${digest}`;
}

/** The `label=` filter value that finds every object of a stack. */
export function stackFilter(stack: string): string {
  return `${STACK_LABEL.namespace}=${stack}`;
}
