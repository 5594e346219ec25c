// Decoding BuildKit's StatusResponse: every field the progress output uses comes through.
import { describe, expect, it } from "vitest";
import { decodeStatus } from "./status.js";
import { encodeStatus } from "./test-helpers.js";

describe("decodeStatus", () => {
  it("reads vertexes, statuses and logs", () => {
    const status = decodeStatus(
      encodeStatus({
        vertexes: [
          { digest: "sha256:a", name: "[1/2] FROM x", started: 1000, completed: 1500 },
          { digest: "sha256:b", name: "[2/2] RUN false", cached: true, error: "exit code: 1", started: 2000 },
        ],
        statuses: [{ id: "exporting layers", vertex: "sha256:c", current: 2048, completed: 3000 }],
        logs: [{ vertex: "sha256:b", msg: "hello\n", timestamp: 2100, stream: 2 }],
      }),
    );
    expect(status.vertexes).toEqual([
      { digest: "sha256:a", name: "[1/2] FROM x", cached: false, started: 1000, completed: 1500 },
      { digest: "sha256:b", name: "[2/2] RUN false", cached: true, started: 2000, error: "exit code: 1" },
    ]);
    expect(status.statuses).toEqual([
      { id: "exporting layers", vertex: "sha256:c", name: "", current: 2048, total: 0, completed: 3000 },
    ]);
    expect(status.logs).toEqual([
      { vertex: "sha256:b", timestamp: 2100, stream: 2, msg: Buffer.from("hello\n") },
    ]);
  });

  it("an empty message is an empty status", () => {
    expect(decodeStatus(Buffer.alloc(0))).toEqual({ vertexes: [], statuses: [], logs: [] });
  });
});
