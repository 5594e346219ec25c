// An example of composec as a library in a vitest test: the project comes up for the test and goes
// down when the block ends (`await using`), whether the test passes or fails. Run it with
//   npx vitest run --project integration examples/library-vitest
// (the repository's own copy imports from src/; an application imports from "composec").
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { expect, it } from "vitest";
import { up } from "../../src/index.js";

it("talks to a Redis whose password is a secret", async () => {
  const password = randomBytes(16).toString("hex");
  await using project = await up(
    { cwd: dirname(fileURLToPath(import.meta.url)), projectName: `example-${randomBytes(3).toString("hex")}` },
    { env: { ...process.env, REDIS_PASSWORD_FOR_TEST: password }, wait: true },
  );
  // The password reaches Redis through the variable; the CLI inside reads it from the secret file.
  const ping = () =>
    project.exec("cache", ["sh", "-c", 'redis-cli --no-auth-warning -a "$(cat /run/secrets/redis_password)" ping']);
  await expect.poll(async () => (await ping()).stdout.toString().trim(), { timeout: 10_000 }).toBe("PONG");
  expect((await project.exec("cache", ["redis-cli", "ping"])).stdout.toString()).toContain("NOAUTH");
});
