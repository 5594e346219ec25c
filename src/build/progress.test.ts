// BuildKit status to plain lines: each step announced once with its service, output lines with
// their time in the step, then CACHED, DONE or ERROR; counts of cached steps; secrets blanked.
import { describe, expect, it } from "vitest";
import { BuildTrace, secretRedactor } from "./progress.js";
import { decodeStatus } from "./status.js";
import { encodeStatus } from "./test-helpers.js";

const counter = (): (() => number) => {
  let n = 0;
  return () => ++n;
};

describe("BuildTrace", () => {
  it("prints steps as BuildKit's plain progress does, named with the service", () => {
    const trace = new BuildTrace("myapp", counter());
    const lines = [
      ...trace.update(
        decodeStatus(
          encodeStatus({
            vertexes: [
              { digest: "a", name: "[internal] load remote build context", started: 1000, completed: 1010 },
              { digest: "b", name: "[1/2] FROM docker.io/composec-test/busybox:1", started: 1000 },
            ],
          }),
        ),
      ),
      ...trace.update(
        decodeStatus(
          encodeStatus({
            vertexes: [
              {
                digest: "b",
                name: "[1/2] FROM docker.io/composec-test/busybox:1",
                started: 1000,
                completed: 1100,
              },
              { digest: "c", name: "[2/2] RUN echo hi", started: 1100 },
            ],
            logs: [{ vertex: "c", msg: "hi\npart", timestamp: 1350 }],
          }),
        ),
      ),
      ...trace.update(
        decodeStatus(
          encodeStatus({
            vertexes: [{ digest: "c", name: "[2/2] RUN echo hi", started: 1100, completed: 1400 }],
            logs: [{ vertex: "c", msg: "ial line\n", timestamp: 1390 }],
            statuses: [{ id: "exporting layers", vertex: "c", completed: 1400 }],
          }),
        ),
      ),
    ];
    expect(lines).toEqual([
      "#1 [myapp internal] load remote build context",
      "#2 [myapp 1/2] FROM docker.io/composec-test/busybox:1",
      "#1 DONE 0.0s",
      "#3 [myapp 2/2] RUN echo hi",
      "#3 0.250 hi",
      "#2 DONE 0.1s",
      "#3 exporting layers done",
      "#3 0.290 partial line",
      "#3 DONE 0.3s",
    ]);
    expect(trace.counts()).toEqual({ total: 1, cached: 0 });
    expect(trace.failure()).toBeUndefined();
  });

  it("says CACHED for a step from the cache, and counts it (FROM is not a step that caches)", () => {
    const trace = new BuildTrace("web", counter());
    const lines = trace.update(
      decodeStatus(
        encodeStatus({
          vertexes: [
            { digest: "f", name: "[1/3] FROM base", started: 5, completed: 6 },
            { digest: "r", name: "[2/3] RUN make", cached: true, started: 5, completed: 5 },
            { digest: "s", name: "[3/3] COPY . /app", cached: true, started: 5, completed: 5 },
            { digest: "x", name: "exporting to image", started: 6, completed: 7 },
          ],
        }),
      ),
    );
    expect(lines).toContain("#2 CACHED");
    expect(lines).toContain("#3 CACHED");
    expect(trace.counts()).toEqual({ total: 2, cached: 2 });
  });

  it("numbers steps across the builds of one run", () => {
    const next = counter();
    const a = new BuildTrace("a", next);
    const b = new BuildTrace("b", next);
    const one = encodeStatus({ vertexes: [{ digest: "v", name: "[1/1] FROM x", started: 1 }] });
    expect(a.update(decodeStatus(one))).toEqual(["#1 [a 1/1] FROM x"]);
    expect(b.update(decodeStatus(one))).toEqual(["#2 [b 1/1] FROM x"]);
  });

  it("reports the failing step with its last lines of output", () => {
    const trace = new BuildTrace("web", counter());
    const lines = trace.update(
      decodeStatus(
        encodeStatus({
          vertexes: [
            { digest: "r", name: "[2/2] RUN exit 3", started: 0, completed: 10, error: "exit code: 3" },
          ],
          logs: [{ vertex: "r", msg: "out-line\nerr-line\n", timestamp: 5 }],
        }),
      ),
    );
    expect(lines.at(-1)).toBe("#1 ERROR: exit code: 3");
    expect(trace.failure()).toEqual({ label: "[web 2/2] RUN exit 3", output: ["out-line", "err-line"] });
  });

  it("blanks a secret that a step prints, even when it arrives in pieces", () => {
    const secret = Buffer.from("s3cr3t-value\n");
    const trace = new BuildTrace("web", counter(), secretRedactor([secret]));
    const lines = trace.update(
      decodeStatus(
        encodeStatus({
          vertexes: [{ digest: "r", name: "[2/2] RUN cat /run/secrets/x", started: 0 }],
          logs: [
            { vertex: "r", msg: "token=s3cr" },
            { vertex: "r", msg: "3t-value\n" },
          ],
        }),
      ),
    );
    expect(lines).toEqual(["#1 [web 2/2] RUN cat /run/secrets/x", "#1 token=[secret redacted]"]);
    expect(lines.join("\n")).not.toContain("s3cr3t");
  });
});

describe("secretRedactor", () => {
  it("blanks each line of a multi-line secret, and leaves short ones alone", () => {
    const redact = secretRedactor([Buffer.from("first-line\nsecond-line\n"), Buffer.from("abc")]);
    expect(redact(Buffer.from("a second-line b first-line")).toString()).toBe(
      "a [secret redacted] b [secret redacted]",
    );
    expect(redact(Buffer.from("abc")).toString()).toBe("abc");
  });

  it("passes everything through when there is no secret", () => {
    const line = Buffer.from("nothing to hide");
    expect(secretRedactor([])(line)).toBe(line);
  });
});
