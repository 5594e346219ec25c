import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import type { Output } from "./output.js";
import { createProgress } from "./progress.js";

function capture(tty: boolean): Output & { err: string[] } {
  const err: string[] = [];
  return { err, stdout: () => {}, stderr: (text) => void err.push(text), stderrIsTTY: tty, stdoutIsTTY: tty };
}

describe("progress rendering", () => {
  it("prints plain lines as Compose does when stderr is not a terminal", () => {
    const output = capture(false);
    const progress = createProgress(output, "auto", "Running");
    progress.onProgress({ resource: "Network demo_default", status: "Created" });
    progress.onProgress({ resource: "Container demo-web-1", status: "Error", detail: "boom" });
    progress.onWarning("orphans");
    expect(output.err.join("")).toBe(
      "Network demo_default  Created\nContainer demo-web-1  Error: boom\nwarning: orphans\n",
    );
  });

  it("prints one JSON object per event with --progress json, nothing with quiet", () => {
    const json = capture(false);
    createProgress(json, "json", "Running").onProgress({ resource: "Container a", status: "Started" });
    expect(json.err).toEqual(['{"resource":"Container a","status":"Started"}\n']);
    const quiet = capture(true);
    createProgress(quiet, "quiet", "Running").onProgress({ resource: "Container a", status: "Started" });
    expect(quiet.err).toEqual([]);
  });

  it("redraws one line per resource under a count in a terminal", () => {
    const output = capture(true);
    let now = 0;
    const progress = createProgress(output, "auto", "Running", () => now);
    progress.onProgress({ resource: "Container demo-web-1", status: "Creating" });
    now = 1500;
    progress.onProgress({ resource: "Container demo-web-1", status: "Started" });
    progress.finish();
    const last = output.err[output.err.length - 1] as string;
    expect(last).toBe("[+] Running 1/1\n ✔ Container demo-web-1  Started   1.5s\n");
    // Each redraw first erases the two lines drawn before.
    expect(output.err).toContain("\x1b[1A\x1b[2K\x1b[1A\x1b[2K");
  });

  it("refuses an unknown mode", () => {
    expect(() => createProgress(capture(false), "fancy", "Running")).toThrow(UsageError);
  });
});
