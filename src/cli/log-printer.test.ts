import { describe, expect, it } from "vitest";
import type { ObservedContainer } from "../plan/state.js";
import { createLogPrinter } from "./log-printer.js";
import { asyncFollowingMasker } from "./mask.js";
import type { Output } from "./output.js";

function capture(): { output: Output; text: () => string } {
  let text = "";
  return {
    output: {
      stdout: (chunk) => (text += chunk),
      stderr: () => {},
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
    text: () => text,
  };
}

function container(name: string): ObservedContainer {
  return {
    id: name,
    name,
    service: name.split("-")[1] as string,
    number: 1,
    oneoff: false,
    state: "running",
    imageId: "",
    dependsOn: [],
    labels: {},
  };
}

const web = container("demo-web-1");
const database = container("demo-database-1");

describe("createLogPrinter", () => {
  it("prefixes each line with the short name, padded to the widest, as Compose does", () => {
    const { output, text } = capture();
    const printer = createLogPrinter(output, "demo", [web, database], { prefix: true, colour: false });
    printer.line({ container: web, stream: "stdout", text: "hello" });
    printer.line({ container: database, stream: "stderr", text: "ready" });
    expect(text()).toBe("web-1       | hello\ndatabase-1  | ready\n");
  });

  it("gives a container that comes later a prefix of its own, and a recreated one its predecessor's colour", () => {
    const coloured = capture();
    const printer = createLogPrinter(coloured.output, "demo", [web], { prefix: true, colour: true });
    const scaled = container("demo-web-2");
    const recreated = { ...web, id: "a-new-id" };
    const longer = container("demo-database-12");
    printer.line({ container: scaled, stream: "stdout", text: "b" });
    printer.line({ container: recreated, stream: "stdout", text: "c" });
    printer.line({ container: longer, stream: "stdout", text: "d" });
    printer.line({ container: web, stream: "stdout", text: "e" });
    expect(coloured.text()).toBe(
      "\x1b[33mweb-2  |\x1b[0m b\n" +
        "\x1b[36mweb-1  |\x1b[0m c\n" +
        "\x1b[32mdatabase-12  |\x1b[0m d\n" +
        "\x1b[36mweb-1        |\x1b[0m e\n",
    );
  });

  it("colours the prefix only when asked, and drops it with prefix: false", () => {
    const coloured = capture();
    createLogPrinter(coloured.output, "demo", [web], { prefix: true, colour: true }).line({
      container: web,
      stream: "stdout",
      text: "x",
    });
    expect(coloured.text()).toBe("\x1b[36mweb-1  |\x1b[0m x\n");
    const bare = capture();
    createLogPrinter(bare.output, "demo", [web], { prefix: false, colour: true }).line({
      container: web,
      stream: "stdout",
      text: "x",
    });
    expect(bare.text()).toBe("x\n");
  });

  it("passes every line through the masker, whole", () => {
    const { output, text } = capture();
    const seen: string[] = [];
    const printer = createLogPrinter(output, "demo", [web], {
      prefix: true,
      colour: false,
      mask: (line) => {
        seen.push(line);
        return line.replace("s3cret", "****");
      },
    });
    printer.line({ container: web, stream: "stdout", text: "token=s3cret" });
    expect(seen).toEqual(["token=s3cret"]);
    expect(text()).toBe("web-1  | token=****\n");
  });

  it("prints a notice about a container on stderr, not as container output", () => {
    let stdout = "";
    let stderr = "";
    const output: Output = {
      stdout: (chunk) => (stdout += chunk),
      stderr: (chunk) => (stderr += chunk),
      stdoutIsTTY: false,
      stderrIsTTY: false,
    };
    const printer = createLogPrinter(output, "demo", [web], { prefix: true, colour: false });
    printer.line({ container: web, notice: 'service "web": logging driver "none" keeps no log' });
    expect(stdout).toBe("");
    expect(stderr).toBe('warning: service "web": logging driver "none" keeps no log\n');
  });
});

describe("createLogPrinter with a masker that refreshes through a round trip (engine-side)", () => {
  it("holds each line until a refresh begun after it arrived has finished, in order", async () => {
    const { output, text } = capture();
    // The store: values delivered so far; a look-and-read that takes a moment, like an exec.
    let delivered: Buffer[] = [];
    let refreshes = 0;
    const watch = {
      look: async () => {
        refreshes++;
        return { changed: true, newestNs: 0n };
      },
    };
    const read = async (): Promise<Buffer[]> => {
      const now = delivered;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return now;
    };
    const mask = await asyncFollowingMasker(watch, read);
    const printer = createLogPrinter(output, "demo", [web], { prefix: false, colour: false, mask });

    printer.line({ container: web, stream: "stdout", text: "before any value" });
    // A value is put in place, then a container prints it: the line must wait for a refresh that
    // starts after it arrived, and so it is masked.
    delivered = [Buffer.from("s3cret-value")];
    printer.line({ container: web, stream: "stdout", text: "token=s3cret-value" });
    expect(text()).toBe("");
    await printer.flush();
    expect(text()).toBe("before any value\ntoken=****\n");
    expect(refreshes).toBeGreaterThanOrEqual(2);
  });

  it("shows no line it cannot mask: a failed refresh withholds the lines and says so", async () => {
    let stderr = "";
    const { output, text } = capture();
    output.stderr = (chunk) => (stderr += chunk);
    let fail = false;
    const mask = await asyncFollowingMasker(
      {
        look: async () => {
          if (fail) throw new Error("engine gone");
          return { changed: true, newestNs: 0n };
        },
      },
      async () => [],
    );
    const printer = createLogPrinter(output, "demo", [web], { prefix: false, colour: false, mask });
    fail = true;
    printer.line({ container: web, stream: "stdout", text: "maybe a secret" });
    await printer.flush();
    expect(text()).toBe("");
    expect(stderr).toContain("1 line(s) not shown");
    expect(stderr).toContain("engine gone");
  });
});
