// Binds that reach composec's material are refused with their place in the file; services that
// can reach other containers anyway are warned of. The loader runs the check by default.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const env = { XDG_RUNTIME_DIR: "/tmp/composec-unit-xdg" };

describe("binds of composec's material", () => {
  it("refuses the root, a directory above it and one inside it, short and long form", async () => {
    const failed = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              volumes:
                - /run/composec:/x:ro
                - type: bind
                  source: /run
                  target: /y
                - /run/composec/other/services/db:/z
                - ./data:/ok
        `,
      },
      { env },
    );
    expect(failed.errors).toHaveLength(3);
    expect(failed.errors[0]).toMatch(
      /^compose\.yaml:5:9 services\.web\.volumes\[0\]: service "web", bind mount at \/x: "\/run\/composec" is composec's secret material root \/run\/composec; .*mount another directory$/,
    );
    expect(failed.errors[1]).toMatch(/^compose\.yaml:6:9 services\.web\.volumes\[1\]: .* "\/run" contains /);
    expect(failed.errors[2]).toMatch(
      /services\.web\.volumes\[2\]: .* lies inside composec's secret material root/,
    );
  });

  it("refuses the caller's runtime directory's material, and a link into it", async () => {
    const failed = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              volumes: [/tmp/composec-unit-xdg:/x, ./link:/y]
        `,
        link: { symlink: "/tmp/composec-unit-xdg/composec/p" },
      },
      { env },
    );
    expect(failed.errors).toEqual([
      expect.stringContaining(
        `"/tmp/composec-unit-xdg" contains composec's secret material root /tmp/composec-unit-xdg/composec`,
      ),
      expect.stringContaining(`(a symbolic link to /tmp/composec-unit-xdg/composec/p) lies inside`),
    ]);
  });

  it("refuses a named volume whose driver_opts bind the material, at the service that mounts it", async () => {
    const failed = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              volumes: [data:/d]
          volumes:
            data:
              driver_opts: {type: none, o: bind, device: /run/composec}
            unused:
              driver_opts: {type: none, o: bind, device: /run}
        `,
      },
      { env },
    );
    expect(failed.errors).toEqual([
      expect.stringMatching(
        /^compose\.yaml:4:15 services\.web\.volumes\[0\]: service "web", volume "data" at \/d \(its driver_opts bind a host path\): "\/run\/composec" is /,
      ),
    ]);
  });

  it("leaves alone disabled services and commands that create nothing", async () => {
    const files = {
      "compose.yaml": `
        services:
          web:
            image: busybox
          debug:
            image: busybox
            profiles: [debug]
            volumes: [/run/composec:/x]
      `,
    };
    await loadOk(files, { env });
    await loadOk(
      { "compose.yaml": `\nservices:\n  web:\n    image: busybox\n    volumes: [/run:/x]\n` },
      {
        env,
        checkSecretSources: false,
      },
    );
  });
});

describe("services that isolation cannot hold", () => {
  it("warns of privileged, pid: host as root and the Docker socket", async () => {
    const loaded = await loadOk(
      {
        "compose.yaml": `
          services:
            priv:
              image: busybox
              privileged: true
            pid:
              image: busybox
              pid: host
            pidUser:
              image: busybox
              pid: host
              user: "1000"
            sock:
              image: busybox
              volumes: [/var/run/docker.sock:/var/run/docker.sock]
        `,
      },
      { env },
    );
    expect(loaded.warnings).toEqual([
      expect.stringMatching(
        /^compose\.yaml:4:17 services\.priv\.privileged: service "priv" is privileged .*per-service secret isolation does not hold for it/,
      ),
      expect.stringMatching(
        /^compose\.yaml:7:10 services\.pid\.pid: service "pid" shares the host's processes .*does not hold/,
      ),
      expect.stringMatching(
        /^compose\.yaml:14:15 services\.sock\.volumes\[0\]: .*is the Docker socket.*does not hold/,
      ),
    ]);
  });
});

describe("composec's engine-side secrets volumes", () => {
  it("refuses a project volume named like one, by name: or external, and leaves others alone", async () => {
    const failed = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              volumes: [stolen:/x, theirs:/y, mine:/z]
          volumes:
            stolen:
              name: composec-secrets.other
            theirs:
              external: true
              name: composec-secrets.prod
            mine:
              name: composec-secretsx
        `,
      },
      { env },
    );
    expect(failed.errors).toHaveLength(2);
    expect(failed.errors[0]).toMatch(
      /volumes\.stolen: volume "stolen": "composec-secrets\.other" is the name of composec's engine-side secrets volume of project "other", .*use another volume$/,
    );
    expect(failed.errors[1]).toMatch(
      /volumes\.theirs: volume "theirs": "composec-secrets\.prod" is the name/,
    );
  });
});
