// How services are told about their secrets: `*_FILE` variables pointing into /run/secrets where
// nothing is granted (CS011), grants nothing points at (CS012), and grants the service's user
// cannot read (CS013).
import type { Service } from "../model/project.js";
import { SECRETS_DIR } from "../model/secret-rules.js";
import { finding, type Context } from "./context.js";
import { locateEntry } from "./locate.js";

/** Checks each service's grants against its environment, command and user. */
export function checkGrants(context: Context, services: string[]): void {
  for (const name of services) {
    const service = context.project.services[name]!;
    checkReadable(context, service);
    if (context.input.errorsOnly) continue;
    checkFileVariables(context, service);
    checkAnnounced(context, service);
  }
}

function checkFileVariables(context: Context, service: Service): void {
  const targets = new Set(service.secrets.map((grant) => grant.target));
  for (const [key, value] of Object.entries(service.environment)) {
    if (!key.endsWith("_FILE") || value === null) continue;
    if (!value.startsWith(`${SECRETS_DIR}/`) || targets.has(value)) continue;
    const written = locateEntry(context.input.sources, service, ["environment", key]);
    if (!written) continue;
    const granted = [...targets].sort();
    context.report(
      finding(
        "CS011",
        written.location,
        `services.${service.name}.environment.${key}`,
        `services.${service.name}.environment.${key} points at ${value}, which no secret granted to ${service.name} provides` +
          (granted.length > 0 ? ` (granted: ${granted.join(", ")})` : " (it is granted no secret)"),
      ),
    );
  }
}

function checkAnnounced(context: Context, service: Service): void {
  const told = [
    ...Object.values(service.environment).filter((value): value is string => value !== null),
    ...(service.command ?? []),
    ...(service.entrypoint ?? []),
    ...(service.healthcheck?.test ?? []),
  ];
  service.secrets.forEach((grant, index) => {
    if (told.some((text) => text.includes(grant.target))) return;
    const written = locateEntry(context.input.sources, service, ["secrets", index]);
    if (!written) return;
    context.report(
      finding(
        "CS012",
        written.location,
        `services.${service.name}.secrets ${grant.target}`,
        `secret "${grant.source}" is granted to ${service.name} at ${grant.target}, and no variable, command or entrypoint of the service names that path`,
      ),
    );
  });
}

/** The numeric uid and gid of `user:` (`1000`, `1000:1000`); undefined parts are unknown (a name). */
function parseUser(user: string | undefined): { uid?: number; gid?: number } {
  if (user === undefined) return { uid: 0 };
  const [uid, gid] = user.split(":");
  const number = (text: string | undefined) =>
    text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : undefined;
  return {
    ...(uid === "root" ? { uid: 0 } : number(uid) !== undefined ? { uid: number(uid)! } : {}),
    ...(gid === "root" ? { gid: 0 } : number(gid) !== undefined ? { gid: number(gid)! } : {}),
  };
}

function checkReadable(context: Context, service: Service): void {
  const { uid, gid } = parseUser(service.user);
  // Root reads whatever the mode says; a user name's uid is known only inside the image.
  if (uid === undefined || uid === 0) return;
  const extraGroups = new Set(service.groupAdd.filter((g) => /^[0-9]+$/.test(g)).map(Number));
  service.secrets.forEach((grant, index) => {
    if ((grant.mode & 0o004) !== 0) return;
    if (grant.uid === uid && (grant.mode & 0o400) !== 0) return;
    if ((grant.mode & 0o040) !== 0) {
      // Without a gid in `user:` the primary group comes from the image: it might be the grant's.
      if (gid === undefined || gid === grant.gid || extraGroups.has(grant.gid)) return;
    }
    const written = locateEntry(context.input.sources, service, ["secrets", index]);
    if (!written) return;
    context.report(
      finding(
        "CS013",
        written.location,
        `services.${service.name}.secrets ${grant.target}`,
        `${service.name} runs as user ${service.user}, and secret "${grant.source}" at ${grant.target} is owned by ${grant.uid}:${grant.gid} with mode 0${grant.mode.toString(8).padStart(3, "0")}: the user cannot read it`,
      ),
    );
  });
}
