// Intent: `convert --kubernetes` writes manifests whose shape the Kubernetes OpenAPI accepts (a
// vendored, strict subset: schema/kubernetes-subset.json) and that keep the Compose secret rules
// where Kubernetes can: the same paths (projected under /run/secrets, subPath elsewhere), each
// file's mode as items[].mode, uid/gid as runAsUser/fsGroup; values only with --include-values.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, it } from "vitest";
import { loadOk } from "../loader/test-helpers.js";
import { SecretValue } from "../secrets/secret-value.js";
import { convertToKubernetes, kubeName, type Manifest } from "./convert.js";

const schema = JSON.parse(
  readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), "schema/kubernetes-subset.json"),
    "utf8",
  ),
) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(schema, "k8s");

function validate(manifest: Manifest): string[] {
  const check = ajv.getSchema(`k8s#/definitions/${manifest.kind}`);
  if (!check) return [`no schema for kind ${manifest.kind}`];
  return check(manifest)
    ? []
    : (check.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message ?? ""}`);
}

const YAML = `
name: Shop
services:
  db:
    image: composec-test/busybox:1
    command: ["sleep", "60"]
    environment: { MYSQL_PASSWORD_FILE: /run/secrets/db_password }
    healthcheck: { test: ["CMD-SHELL", "test -f /run/secrets/db_password"], interval: 5s, retries: 4 }
    volumes: ["data:/var/lib/mysql"]
    secrets:
      - db_password
      - source: root
        target: nested/root
        uid: "999"
        gid: "999"
        mode: 0400
  web:
    image: composec-test/busybox:1
    ports: ["8000:80"]
    deploy: { replicas: 2, resources: { limits: { memory: 64M } } }
    secrets:
      - source: db_password
        target: /etc/app/db.pw
        mode: 0440
    configs:
      - source: settings
        target: /etc/app/settings.ini
secrets:
  db_password: { file: ./pw.txt }
  root: { environment: ROOT_PW }
configs:
  settings: { content: "debug=false" }
volumes:
  data: {}
`;

/** The parts of a Deployment and Service the assertions read. */
interface PodDoc {
  metadata: { name: string };
  spec: {
    ports: unknown[];
    template: {
      spec: {
        securityContext?: unknown;
        volumes: Array<{ secret: { defaultMode: number } } & Record<string, unknown>>;
        containers: Array<Record<string, unknown> & { volumeMounts: unknown[]; livenessProbe?: unknown }>;
      };
    };
  };
}
const doc = (manifest: Manifest | undefined): PodDoc => manifest as unknown as PodDoc;

async function project() {
  return (await loadOk({ "compose.yaml": YAML, "pw.txt": "pw-value" }, { env: { ROOT_PW: "root-value" } }))
    .project;
}

describe("convertToKubernetes", () => {
  it("writes schema-valid Deployments, a Service, Secrets and a ConfigMap", async () => {
    const { files, warnings } = convertToKubernetes(await project());
    expect([...files.keys()].sort()).toEqual([
      "configmap-shop-settings.yaml",
      "deployment-db.yaml",
      "deployment-web.yaml",
      "secret-shop-db-password.yaml",
      "secret-shop-root.yaml",
      "service-web.yaml",
    ]);
    for (const [file, manifest] of files) expect(validate(manifest), file).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining("services.db.volumes: volume mounts become emptyDir")]);
  });

  it("keeps the secret paths, modes and owners where Kubernetes can", async () => {
    const { files } = convertToKubernetes(await project());
    const db = doc(files.get("deployment-db.yaml"));
    const pod = db.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsUser: 999, fsGroup: 999 });
    expect(pod.volumes[0]).toEqual({
      name: "secrets",
      projected: {
        defaultMode: 0o444,
        sources: [
          {
            secret: { name: "shop-db-password", items: [{ key: "value", path: "db_password", mode: 0o444 }] },
          },
          { secret: { name: "shop-root", items: [{ key: "value", path: "nested/root", mode: 0o400 }] } },
        ],
      },
    });
    const container = pod.containers[0]!;
    expect(container.volumeMounts[0]).toEqual({ name: "secrets", mountPath: "/run/secrets", readOnly: true });
    expect(container.livenessProbe).toEqual({
      exec: { command: ["/bin/sh", "-c", "test -f /run/secrets/db_password"] },
      periodSeconds: 5,
      failureThreshold: 4,
    });
    const web = doc(files.get("deployment-web.yaml")).spec.template.spec;
    expect(web.volumes).toEqual([
      {
        name: "secret-0",
        secret: {
          secretName: "shop-db-password",
          defaultMode: 0o440,
          items: [{ key: "value", path: "db.pw", mode: 0o440 }],
        },
      },
      {
        name: "config-1",
        configMap: {
          name: "shop-settings",
          defaultMode: 0o444,
          items: [{ key: "value", path: "settings.ini", mode: 0o444 }],
        },
      },
    ]);
    expect(web.containers[0]!.volumeMounts).toEqual([
      { name: "secret-0", mountPath: "/etc/app/db.pw", subPath: "db.pw", readOnly: true },
      { name: "config-1", mountPath: "/etc/app/settings.ini", subPath: "settings.ini", readOnly: true },
    ]);
    expect(doc(files.get("service-web.yaml")).spec.ports).toEqual([
      { name: "tcp-8000", port: 8000, targetPort: 80, protocol: "TCP" },
    ]);
  });

  it("writes placeholder Secrets without values, and the values only when given", async () => {
    const p = await project();
    const placeholder = convertToKubernetes(p);
    const secret = placeholder.files.get("secret-shop-root.yaml")!;
    expect(secret.data).toBeUndefined();
    expect((secret.metadata.annotations as Record<string, string>)["composec.io/fill"]).toMatch(
      /^kubectl create secret generic shop-root/,
    );
    expect(JSON.stringify([...placeholder.files.values()])).not.toContain(
      Buffer.from("root-value").toString("base64"),
    );

    const values = new Map([
      ["db_password", new SecretValue(Buffer.from("pw-value"))],
      ["root", new SecretValue(Buffer.from("root-value"))],
    ]);
    const filled = convertToKubernetes(p, values);
    const root = filled.files.get("secret-shop-root.yaml")!;
    expect(validate(root)).toEqual([]);
    expect(root.data).toEqual({ value: Buffer.from("root-value").toString("base64") });
  });

  it("the schema refuses what Kubernetes would: an unknown field, a mode above 0777, a bad name", async () => {
    const { files } = convertToKubernetes(await project());
    const deployment = doc(structuredClone(files.get("deployment-web.yaml")!));
    deployment.spec.template.spec.containers[0]!.imagePullPolicyy = "Never";
    deployment.spec.template.spec.volumes[0]!.secret.defaultMode = 0o1777;
    deployment.metadata.name = "Web_1";
    expect(validate(deployment as unknown as Manifest)).toEqual([
      expect.stringContaining("/metadata/name must match pattern"),
      expect.stringContaining("/spec/template/spec/containers/0 must NOT have additional properties"),
      expect.stringContaining("/spec/template/spec/volumes/0/secret/defaultMode must be <= 511"),
    ]);
  });

  it("makes DNS-1123 names", () => {
    expect(kubeName("My_Project", "db.password")).toBe("my-project-db-password");
    expect(kubeName("a".repeat(70))).toHaveLength(63);
  });
});
