// `ports`: every short form Compose accepts, the long form, and the canonical long form they become.
import { describe, expect, it } from "vitest";
import type { PortMapping } from "../model/project.js";
import { parseShortPort } from "./canonicalize.js";
import { loadFail, loadOk } from "./test-helpers.js";

const tcp = (target: number, extra: Partial<PortMapping> = {}): PortMapping => ({
  target,
  protocol: "tcp",
  mode: "ingress",
  ...extra,
});

async function ports(lines: string): Promise<PortMapping[]> {
  const { project } = await loadOk({
    "compose.yaml": `services:\n  web:\n    image: busybox\n    ports:\n${lines}`,
  });
  return project.services["web"]!.ports;
}

describe("ports, short form", () => {
  it("CONTAINER alone publishes to a port the engine picks", async () => {
    expect(await ports('      - "80"\n      - 81\n')).toEqual([tcp(80), tcp(81)]);
  });

  it("HOST:CONTAINER", async () => {
    expect(await ports('      - "8080:80"\n')).toEqual([tcp(80, { published: "8080" })]);
  });

  it("IP:HOST:CONTAINER and IP::CONTAINER", async () => {
    expect(await ports('      - "127.0.0.1:8080:80"\n      - "127.0.0.1::81"\n')).toEqual([
      tcp(80, { published: "8080", hostIp: "127.0.0.1" }),
      tcp(81, { hostIp: "127.0.0.1" }),
    ]);
  });

  it("an IPv6 host address in brackets", async () => {
    expect(await ports('      - "[::1]:8080:80"\n')).toEqual([tcp(80, { published: "8080", hostIp: "::1" })]);
  });

  it("a protocol suffix", async () => {
    expect(await ports('      - "53:53/udp"\n      - "9000/sctp"\n')).toEqual([
      { target: 53, published: "53", protocol: "udp", mode: "ingress" },
      { target: 9000, protocol: "sctp", mode: "ingress" },
    ]);
  });

  it("ranges expand to one entry per port, host and container ranges paired", async () => {
    expect(await ports('      - "8000-8001:80-81"\n      - "9000-9001"\n')).toEqual([
      tcp(80, { published: "8000" }),
      tcp(81, { published: "8001" }),
      tcp(9000),
      tcp(9001),
    ]);
  });

  it("parseShortPort refuses what is not a port mapping", () => {
    for (const bad of ["", "http", "80:80:80:80", "70000", "80/icmp", "8000-8002:80-81", "a:80"]) {
      expect(typeof parseShortPort(bad), bad).toBe("string");
    }
  });

  it("an invalid short port is an error naming the entry and the value", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports:
              - "8080:80"
              - "80:http"
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.ports\[1\]: /);
    expect(errors[0]).toContain('"80:http"');
  });

  it("a port above 65535 is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports: ["70000:80"]
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.ports[0]");
    expect(errors[0]).toContain("65535");
  });
});

describe("ports, long form", () => {
  it("takes target, published, host_ip, protocol and mode; defaults tcp and ingress", async () => {
    expect(
      await ports(
        [
          "      - target: 80",
          '        published: "8080"',
          "        host_ip: 0.0.0.0",
          "        protocol: udp",
          "        mode: host",
          "      - target: 443",
          "        published: 8443",
          "",
        ].join("\n"),
      ),
    ).toEqual([
      { target: 80, published: "8080", hostIp: "0.0.0.0", protocol: "udp", mode: "host" },
      tcp(443, { published: "8443" }),
    ]);
  });

  it("a long port without target is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports:
              - published: 8080
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.ports[0]");
    expect(errors[0]).toContain("target");
  });

  it("a bad protocol is an error naming it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports:
              - target: 80
                protocol: icmp
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/services\.web\.ports\[0\]\.protocol: /);
    expect(errors[0]).toContain('"icmp"');
  });
});
