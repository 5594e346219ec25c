// The project the rotation tests (secrets-rotation, secrets-rotation-latency) change secrets in:
// `app` has a file and an environment secret under /run/secrets; `bystander` another file's.
import { images, tempProject } from "./helpers.js";
import { cliOk, IDLE, randomValue } from "./secrets-helpers.js";

const compose = `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - from_file
      - from_env
  bystander:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - other
secrets:
  from_file:
    file: ./secret.txt
  from_env:
    environment: ROTATE_SECRET
  other:
    file: ./other.txt
`;

/** Writes the project (named by `project(prefix)`, trackProjects()) to a temp directory and ups it. */
export async function startRotationProject(project: (prefix: string) => Promise<string>, prefix: string) {
  const name = await project(prefix);
  const values = {
    file: randomValue("rot-file"),
    env: randomValue("rot-env"),
    other: randomValue("rot-other"),
  };
  const dir = await tempProject({
    "compose.yaml": compose,
    "secret.txt": values.file,
    "other.txt": values.other,
  });
  const up = (env: string, hide: string[] = []) =>
    cliOk(["-p", name, "up", "-d"], {
      cwd: dir,
      env: { ROTATE_SECRET: env },
      hide: [...Object.values(values), ...hide],
    });
  await up(values.env);
  return { name, dir, values, up, app: `${name}-app-1`, bystander: `${name}-bystander-1` };
}
