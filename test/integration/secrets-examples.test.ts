// Intent: the seed's two examples, verbatim but for the image (examples/single-service and
// examples/wordpress, copied byte for byte into a temp project with secret files made here), run
// through `composec up` and deliver what the seed promises: `my_secret` at /run/secrets/my_secret;
// db and wordpress share db_password (the same bytes in both), only db sees db_root_password, and
// the *_FILE variables name files that exist. The example containers run the image's default
// command and exit at once, so files are read from them as `docker cp` does (the archive API),
// by digest.
import { describe } from "vitest";
import { docker } from "./helpers.js";
import { deliveryPaths, useDeliveryPath } from "./delivery-paths.js";
import { seedExamples } from "./secrets-examples-cases.js";

describe.each(deliveryPaths)("the seed examples ($path)", ({ path }) => {
  useDeliveryPath(path);
  seedExamples(() => ({ docker, via: path, args: [], env: {} }));
});
