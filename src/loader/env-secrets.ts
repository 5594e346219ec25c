// The `x-composec-env-secrets` service extension: environment variables whose values are secrets
// the service is granted, set in its main process by a wrapper when the container starts (see
// src/plan/env-shim.ts), so the value never enters the container's configuration. Extensions pass
// the schema untouched; their shape and references are checked here, from finalize's service step.
import type { Service } from "../model/project.js";
import type { PathSegment } from "./paths.js";

export const ENV_SECRETS_EXTENSION = "x-composec-env-secrets";

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads the extension of `service` into `service.envSecrets` (variable to the secret's target in the
 * container). `fail` reports a problem at a path under the service; `known` says whether a secret
 * is defined at the top level (or already reported broken).
 */
export function readEnvSecrets(
  service: Service,
  known: (secret: string) => boolean,
  fail: (suffix: PathSegment[], message: string) => void,
): void {
  const raw = service.extensions[ENV_SECRETS_EXTENSION];
  if (raw === undefined) return;
  const path = [ENV_SECRETS_EXTENSION];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(path, "must be a mapping of variable to secret, e.g. {DB_PASSWORD: db_password}");
    return;
  }
  const envSecrets: Record<string, string> = {};
  for (const [variable, secret] of Object.entries(raw as Record<string, unknown>)) {
    const at = [...path, variable];
    if (!VARIABLE.test(variable)) {
      fail(
        at,
        `"${variable}" is not an environment variable name; use letters, digits and _, not starting with a digit`,
      );
      continue;
    }
    if (typeof secret !== "string" || secret === "") {
      fail(
        at,
        `${JSON.stringify(secret)} is not a secret name; give the key of a secret this service lists under secrets`,
      );
      continue;
    }
    if (variable in service.environment) {
      fail(
        at,
        `${variable} is also set under environment; a variable takes its value from one place, remove one`,
      );
      continue;
    }
    const grant = service.secrets.find((entry) => entry.source === secret);
    if (!grant) {
      // An undefined secret is said once, as the missing definition, if it is also listed.
      fail(
        at,
        known(secret)
          ? `secret "${secret}" is not given to service "${service.name}"; add it under services.${service.name}.secrets`
          : `secret "${secret}" is not defined under top-level secrets; define it and list it under services.${service.name}.secrets`,
      );
      continue;
    }
    envSecrets[variable] = grant.target;
  }
  if (Object.keys(envSecrets).length > 0) service.envSecrets = envSecrets;
}
