// `.env` and `--env-file`: the quoting rules of Compose's dotenv format, where the values come from
// (shell over files; `--env-file` replaces `.env`), and parse errors with their line numbers.
import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv.js";
import { loadFail, loadOk } from "./test-helpers.js";

const parse = (text: string, lookup: (name: string) => string | undefined = () => undefined) => {
  const { values, problems } = parseDotenv(text, lookup);
  return { values: Object.fromEntries(values), problems };
};

describe("parseDotenv", () => {
  it("reads KEY=value lines, skipping blank lines and comments, with or without export", () => {
    const { values, problems } = parse("# a comment\n\nA=1\nexport B=2\n  C = 3  \nD=\n");
    expect(problems).toEqual([]);
    expect(values).toEqual({ A: "1", B: "2", C: "3", D: "" });
  });

  it("unquoted values are trimmed and end at ' #'; a # inside a word stays", () => {
    const { values } = parse("A=hello world   # comment\nB=a#b\nC=  spaced\n");
    expect(values).toEqual({ A: "hello world", B: "a#b", C: "spaced" });
  });

  it("single quotes are literal: no escapes, no substitution", () => {
    const { values } = parse("X=x\nA='a $X ${X} \\n b'\nB='# not a comment'\n");
    expect(values["A"]).toBe("a $X ${X} \\n b");
    expect(values["B"]).toBe("# not a comment");
  });

  it("double quotes take escapes and substitutions, and keep spaces and #", () => {
    const { values } = parse('X=x\nA="a\\nb\\tc \\"q\\" ${X} # kept"\nB="  padded  "\n');
    expect(values["A"]).toBe('a\nb\tc "q" x # kept');
    expect(values["B"]).toBe("  padded  ");
  });

  it("a double-quoted value may span lines", () => {
    const { values, problems } = parse('KEY="-----BEGIN-----\nline\n-----END-----"\nNEXT=1\n');
    expect(problems).toEqual([]);
    expect(values["KEY"]).toBe("-----BEGIN-----\nline\n-----END-----");
    expect(values["NEXT"]).toBe("1");
  });

  it("unquoted and double-quoted values substitute earlier keys, then the lookup", () => {
    const { values } = parse("A=a\nB=${A}-$A\nC=${FROM_SHELL:-none}\nD=${MISSING:-none}\n", (name) =>
      name === "FROM_SHELL" ? "shell" : undefined,
    );
    expect(values).toEqual({ A: "a", B: "a-a", C: "shell", D: "none" });
  });

  it("CRLF line ends are read as line ends", () => {
    const { values } = parse("A=1\r\nB=two\r\n");
    expect(values).toEqual({ A: "1", B: "two" });
  });

  it("an '=' in the value is part of the value", () => {
    expect(parse("URL=postgres://u:p@h/db?sslmode=require\n").values["URL"]).toBe(
      "postgres://u:p@h/db?sslmode=require",
    );
  });

  it("reports an unterminated quote and a bad variable name with their line numbers", () => {
    const { problems } = parse('A=1\nB="never closed\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(2);
    const bad = parse("A=1\n\n# c\nbad!key=1\n");
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]!.line).toBe(4);
    // The part before "=" of a broken line may be a value: the message names the line, not its text.
    expect(bad.problems[0]!.message).toContain("not a valid variable name");
    expect(bad.problems[0]!.message).not.toContain("bad!key");
  });

  it("reports text after a closing quote", () => {
    const { problems } = parse("A='x' y\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(1);
  });
});

const usesTag = `
  services:
    web:
      image: "busybox:\${TAG:-default}"
      environment:
        FROM_ENV_FILE: \${ONLY_IN_FILE:-absent}
`;

describe("where variables come from", () => {
  it("reads .env in the project directory", async () => {
    const { project } = await loadOk({
      "compose.yaml": usesTag,
      ".env": "TAG=fromdotenv\nONLY_IN_FILE=yes\n",
    });
    expect(project.services["web"]!.image).toBe("busybox:fromdotenv");
    expect(project.services["web"]!.environment["FROM_ENV_FILE"]).toBe("yes");
  });

  it("the shell wins over .env", async () => {
    const { project } = await loadOk(
      { "compose.yaml": usesTag, ".env": "TAG=fromdotenv\n" },
      { env: { TAG: "fromshell" } },
    );
    expect(project.services["web"]!.image).toBe("busybox:fromshell");
  });

  it("a variable set to the empty string in the shell still wins over .env", async () => {
    const { project } = await loadOk(
      { "compose.yaml": usesTag, ".env": "TAG=fromdotenv\n" },
      { env: { TAG: "" } },
    );
    expect(project.services["web"]!.image).toBe("busybox:default");
  });

  it("--env-file replaces .env, and later --env-files win over earlier ones", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": usesTag,
        ".env": "TAG=fromdotenv\nONLY_IN_FILE=dotenv\n",
        "one.env": "TAG=one\n",
        "two.env": "TAG=two\n",
      },
      { envFiles: ["one.env", "two.env"] },
    );
    expect(project.services["web"]!.image).toBe("busybox:two");
    // .env was not read at all
    expect(project.services["web"]!.environment["FROM_ENV_FILE"]).toBe("absent");
  });

  it("the shell wins over --env-file too", async () => {
    const { project } = await loadOk(
      { "compose.yaml": usesTag, "one.env": "TAG=one\n" },
      { envFiles: ["one.env"], env: { TAG: "shell" } },
    );
    expect(project.services["web"]!.image).toBe("busybox:shell");
  });

  it("a missing --env-file is an error naming it", async () => {
    const { errors } = await loadFail({ "compose.yaml": usesTag }, { envFiles: ["nope.env"] });
    expect(errors.join("\n")).toContain("nope.env");
  });

  it("no .env is fine", async () => {
    const { project } = await loadOk({ "compose.yaml": usesTag });
    expect(project.services["web"]!.image).toBe("busybox:default");
  });

  it("a .env line that does not parse is an error with the file and line", async () => {
    const { errors } = await loadFail({
      "compose.yaml": usesTag,
      ".env": "TAG=1\n# comment\nOK=2\nbad key!=3\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\.env:4(:\d+)?\b/);
  });

  it("an unterminated quote in an --env-file is an error with its line", async () => {
    const { errors } = await loadFail(
      { "compose.yaml": usesTag, "my.env": 'A=1\nB="open\n' },
      { envFiles: ["my.env"] },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^my\.env:2(:\d+)?\b/);
  });
});
