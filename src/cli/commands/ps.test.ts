import { describe, expect, it } from "vitest";
import type { ContainerSummary } from "../../compose/ps.js";
import { formatTable } from "./ps.js";

const row = (overrides: Partial<ContainerSummary>): ContainerSummary => ({
  ID: "abc",
  Name: "demo-web-1",
  Image: "busybox",
  Command: "httpd -f -p 8080 -h /srv/www/long",
  Project: "demo",
  Service: "web",
  Created: 1_000,
  State: "running",
  Status: "Up 5 seconds",
  Health: "",
  ExitCode: 0,
  Publishers: [
    { URL: "0.0.0.0", TargetPort: 8080, PublishedPort: 18080, Protocol: "tcp" },
    { URL: "::", TargetPort: 8080, PublishedPort: 18080, Protocol: "tcp" },
    { URL: "", TargetPort: 9000, PublishedPort: 0, Protocol: "udp" },
  ],
  Labels: {},
  ...overrides,
});

describe("ps table", () => {
  it("pads columns, quotes and truncates the command, words the age, lists ports as Compose does", () => {
    expect(
      formatTable(
        [row({}), row({ Name: "demo-db-1", Service: "db", Command: "sleep 1", Publishers: [] })],
        1_065_000,
      ),
    ).toBe(
      [
        "NAME         IMAGE     COMMAND                  SERVICE   CREATED              STATUS         PORTS",
        'demo-web-1   busybox   "httpd -f -p 8080 -h…"   web       About a minute ago   Up 5 seconds   0.0.0.0:18080->8080/tcp, :::18080->8080/tcp, 9000/udp',
        'demo-db-1    busybox   "sleep 1"                db        About a minute ago   Up 5 seconds',
        "",
      ].join("\n"),
    );
  });
});
