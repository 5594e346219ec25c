// Intent: dockerd restarted between `up` and `down`, in the middle of `up`, and while `down` runs
// (against a second engine this test starts and restarts, never the main one): composec reports
// what is true, never hangs, and the next `up` / `down` finish the work and leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { images } from "./helpers.js";
import { startSecondEngine, type SecondEngine } from "./second-engine.js";

let engine: SecondEngine;

beforeAll(async () => {
  engine = await startSecondEngine({ images: [images.busybox], ssh: false });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
}, 120_000);

describe("the second engine's restart()", () => {
  it("stops dockerd (nothing answers while it is down), starts it again with its objects kept", async () => {
    const container = await engine.docker.createContainer({
      Image: images.busybox,
      Cmd: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
      HostConfig: { RestartPolicy: { Name: "unless-stopped" } },
    });
    await container.start();
    let answeredWhileDown: boolean | undefined;
    await engine.restart({
      whileDown: async () => {
        answeredWhileDown = await engine.docker.ping().then(
          () => true,
          () => false,
        );
      },
    });
    expect(answeredWhileDown).toBe(false);
    expect(await engine.docker.ping()).toBeTruthy();
    // unless-stopped: the engine starts it again on its own once it is back.
    const info = await container.inspect();
    expect(info.State.Running).toBe(true);
    await container.remove({ force: true });
  }, 120_000);
});
