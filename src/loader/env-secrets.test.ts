// `x-composec-env-secrets`: each variable names a secret the service is given; the model keeps the
// variable and the target its value is read from, never a value.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const compose = (envSecrets: string, extra = "") => ({
  "compose.yaml": `services:\n  db:\n    image: redis\n    secrets: [pw, {source: other, target: /etc/other}]\n${extra}    x-composec-env-secrets: ${envSecrets}\nsecrets:\n  pw:\n    file: ./pw\n  other:\n    file: ./pw\n  unused:\n    file: ./pw\n`,
  pw: "v",
});

describe("x-composec-env-secrets", () => {
  it("maps each variable to its secret's target, absolute targets included", async () => {
    const { project } = await loadOk(compose("{REDIS_PASSWORD: pw, OTHER: other}"));
    expect(project.services["db"]!.envSecrets).toEqual({
      REDIS_PASSWORD: "/run/secrets/pw",
      OTHER: "/etc/other",
    });
  });

  it("reports every bad entry at its place, with what would be valid", async () => {
    const { errors } = await loadFail(
      compose(
        "{1BAD: pw, NOT_GIVEN: unused, UNDEFINED: nope, EMPTY: '', TAKEN: pw}",
        "    environment: {TAKEN: x}\n",
      ),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^compose\.yaml:6:\d+ services\.db\.x-composec-env-secrets\.1BAD: "1BAD" is not an environment variable name/,
      ),
      expect.stringMatching(
        /^compose\.yaml:6:\d+ services\.db\.x-composec-env-secrets\.NOT_GIVEN: secret "unused" is not given to service "db"; add it under services\.db\.secrets/,
      ),
      expect.stringMatching(
        /services\.db\.x-composec-env-secrets\.UNDEFINED: secret "nope" is not defined under top-level secrets/,
      ),
      expect.stringMatching(/services\.db\.x-composec-env-secrets\.EMPTY: "" is not a secret name/),
      expect.stringMatching(
        /services\.db\.x-composec-env-secrets\.TAKEN: TAKEN is also set under environment/,
      ),
    ]);
  });

  it("must be a mapping", async () => {
    const { errors } = await loadFail(compose("[pw]"));
    expect(errors).toEqual([
      expect.stringMatching(/services\.db\.x-composec-env-secrets: must be a mapping of variable to secret/),
    ]);
  });
});
