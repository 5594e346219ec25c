// composec as a library: the same pipeline the CLI runs (see docs/library.md).
export { loadProject, type LoadOptions, type LoadResult } from "./loader/index.js";
export {
  down,
  exec,
  logs,
  ps,
  secretStore,
  up,
  type ConnectionOptions,
  type DownOptions,
  type ExecOptions,
  type ExecResult,
  type LogsOptions,
  type ProjectSource,
  type RunningProject,
  type SecretStoreClient,
  type UpOptions,
} from "./library.js";
export type { DownResult } from "./compose/down.js";
export type { ContainerSummary, Publisher } from "./compose/ps.js";
export type { LogLine, LogNotice, LogOutput } from "./compose/logs.js";
export type { UpResult } from "./compose/up.js";
export { createEngine, type Engine } from "./engine/client.js";
export type { ProgressEvent, ProgressListener, ProgressStatus } from "./engine/progress.js";
export type { Plan } from "./plan/types.js";
export type { SecretInfo } from "./store/store.js";
export { toComposeDocument } from "./model/to-compose.js";
export type * from "./model/project.js";
export { SecretValue } from "./secrets/secret-value.js";
export { buildServices, servicesNeedingBuild, type BuildOptions, type BuiltImage } from "./build/index.js";
export {
  EngineError,
  InternalError,
  InterruptedError,
  ProjectError,
  StoreError,
  UsageError,
  formatProblem,
  type Location,
  type Problem,
} from "./errors.js";
