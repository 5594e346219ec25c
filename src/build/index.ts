// Builds: `build:` sections carried out by BuildKit over the Engine API, build secrets served on
// a BuildKit session. `up` calls buildServices() for services whose image is missing.
export {
  buildServices,
  buildQuery,
  secretLookingArgs,
  servicesNeedingBuild,
  servicesToBuild,
} from "./build.js";
export type { BuildOptions, BuiltImage } from "./build.js";
export type { BuildApi, BuildQuery } from "./build-api.js";
export type { StepCounts } from "./progress.js";
