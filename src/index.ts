// composec as a library: the same pipeline the CLI runs.
export { loadProject, type LoadOptions, type LoadResult } from "./loader/index.js";
export { toComposeDocument } from "./model/to-compose.js";
export type * from "./model/project.js";
export { SecretValue } from "./secrets/secret-value.js";
export { buildServices, servicesNeedingBuild, type BuildOptions, type BuiltImage } from "./build/index.js";
export {
  EngineError,
  InternalError,
  InterruptedError,
  ProjectError,
  UsageError,
  formatProblem,
  type Location,
  type Problem,
} from "./errors.js";
