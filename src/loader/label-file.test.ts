// `label_file` (labels read from env-file-syntax files, `labels` winning) and `attach` (kept, printed,
// out of the config hash).
import { describe, expect, it } from "vitest";
import { configHash } from "../model/config-hash.js";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { loadFail, loadOk } from "./test-helpers.js";

describe("label_file", () => {
  it("reads labels from files in order, the service's own labels winning", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          services:
            web:
              image: x
              label_file: [./one.labels, sub/two.labels]
              labels: {own: "yes", shared: from-labels}
        `,
        "one.labels": "com.example.a=1\nshared=from-file\nwho=${WHO}\n",
        "sub/two.labels": "# a comment\ncom.example.a=2\n",
      },
      { env: { WHO: "me" } },
    );
    expect(project.services["web"]!.labels).toEqual({
      "com.example.a": "2",
      shared: "from-labels",
      who: "me",
      own: "yes",
    });
    expect(project.services["web"]!.labelFiles).toBeUndefined();
  });

  it("a later file's label files are added; config prints the labels, which load back the same", async () => {
    const first = await loadOk(
      {
        "a.yaml": "services:\n  web:\n    image: x\n    label_file: a.labels\n",
        "b.yaml": "services:\n  web:\n    label_file: b.labels\n",
        "a.labels": "a=1\n",
        "b.labels": "b=2\n",
      },
      { files: ["a.yaml", "b.yaml"] },
    );
    expect(first.project.services["web"]!.labels).toEqual({ a: "1", b: "2" });
    const text = toYamlText(toComposeDocument(first.project));
    expect(text).not.toContain("label_file");
    const second = await loadOk({ "compose.yaml": text });
    expect(toYamlText(toComposeDocument(second.project))).toBe(text);
  });

  it("a missing label file is a located error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    label_file: nope.labels\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^compose\.yaml:\d+:\d+ services\.web\.label_file: label file nope\.labels cannot be read \(ENOENT\)/,
    );
  });
});

describe("attach", () => {
  it("is kept, printed, and changes no config hash", async () => {
    const { project } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: x\n    attach: false\n  api:\n    image: x\n",
    });
    const web = project.services["web"]!;
    expect(web.attach).toBe(false);
    expect(project.services["api"]!.attach).toBeUndefined();
    expect(toYamlText(toComposeDocument(project))).toContain("attach: false");
    expect(configHash(project, web)).toBe(configHash(project, { ...web, attach: true }));
  });

  it("must be a boolean", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    attach: maybe\n",
    });
    expect(errors).toEqual(['compose.yaml:4:13 services.web.attach: must be true or false, not "maybe"']);
  });
});
