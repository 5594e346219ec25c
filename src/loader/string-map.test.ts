import { describe, expect, it } from "vitest";
import { stringMap } from "./string-map.js";
import { loadOk } from "./test-helpers.js";

describe("stringMap", () => {
  it("splits list entries at the first = and gives a bare key an empty value", () => {
    expect(stringMap(["a=1", "b=x=y", "c"])).toEqual({ a: "1", b: "x=y", c: "" });
  });

  it("turns a mapping's numbers, booleans and nulls into text", () => {
    expect(stringMap({ n: 1, t: true, z: null, s: "v" })).toEqual({ n: "1", t: "true", z: "", s: "v" });
  });

  it("drops x- keys only when asked (a mapping with fixed keys)", () => {
    expect(stringMap({ "x-note": "a", k: "b" })).toEqual({ "x-note": "a", k: "b" });
    expect(stringMap({ "x-note": "a", k: "b" }, { dropExtensions: true })).toEqual({ k: "b" });
  });

  it("keeps an x- annotation but not a credential_spec extension", async () => {
    const { project } = await loadOk({
      "compose.yaml":
        "services:\n  app:\n    image: x\n    annotations: {x-team: infra}\n    credential_spec: {file: a.json, x-why: test}\n",
    });
    const app = project.services["app"]!;
    expect(app.annotations).toEqual({ "x-team": "infra" });
    expect(app.credentialSpec).toEqual({ file: "a.json" });
  });
});
