import { describe, expect, it } from "vitest";
import { parseYaml } from "../loader/parse-yaml.js";
import { toYamlText } from "./yaml-text.js";

const readBack = (text: string) => parseYaml("test.yaml", text).parsed?.data;

// Strings a careless writer would print plain and a reader would take for something else.
const tricky = [
  "",
  " lead",
  "trail ",
  "yes",
  "No",
  "ON",
  "off",
  "y",
  "n",
  "null",
  "Null",
  "~",
  "true",
  "False",
  "0400",
  "0o400",
  "0x1F",
  "400",
  "-1",
  "+1",
  "1_000",
  "1.5",
  ".5",
  "1.",
  "1e5",
  "2024.1",
  ".inf",
  "-.Inf",
  ".nan",
  "22:22",
  "1:20:30",
  "8080:80",
  "127.0.0.1:8080:80",
  "-c",
  "- x",
  "? x",
  ": x",
  "a: b",
  "a:",
  "a #b",
  "#x",
  "@x",
  "`x",
  "*x",
  "&x",
  "!x",
  "%x",
  "|",
  ">",
  "[a]",
  "{a}",
  "'x'",
  '"x"',
  "a,b",
  "multi\nline",
  "tab\there",
  "back\\slash",
  "naïve ☃",
  "\u0000nul",
  "x\r\ny",
  "=",
  "/run/secrets/db",
  "./data",
  "~/x",
  "http://example.test:80/a",
  "KEY=value with spaces",
];

describe("toYamlText", () => {
  it("writes every tricky string so that it reads back as the same string", () => {
    const document = { list: tricky, map: Object.fromEntries(tricky.map((value, index) => [value, index])) };
    expect(readBack(toYamlText(document))).toEqual(document);
  });

  it("keeps numbers, booleans, null, empty collections and nesting", () => {
    const document = {
      name: "demo",
      services: {
        web: {
          command: ["sh", "-c", "sleep 1"],
          ports: [{ target: 80, published: "8080", protocol: "tcp" }],
          nested: [[1, 2], [], {}, [{ a: null }]],
          cpus: 0.5,
          read_only: true,
          networks: { backend: null },
          empty: {},
          none: [],
        },
      },
    };
    expect(readBack(toYamlText(document))).toEqual(document);
  });

  it("prints the layout docker compose prints", () => {
    const text = toYamlText({
      services: { web: { image: "busybox", ports: [{ target: 80, published: "8080" }], command: ["-c"] } },
    });
    expect(text).toBe(
      [
        "services:",
        "  web:",
        "    image: busybox",
        "    ports:",
        "      - target: 80",
        '        published: "8080"',
        "    command:",
        '      - "-c"',
        "",
      ].join("\n"),
    );
  });

  it("leaves out undefined entries", () => {
    expect(toYamlText({ a: undefined, b: 1 })).toBe("b: 1\n");
  });
});
