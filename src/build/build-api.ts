// The Engine calls a build makes (open a BuildKit session, post the build, cancel it, look at an
// image): the part of the Engine interface that src/build/ needs, so a test can stand in for it.
import type { Engine } from "../engine/client.js";

export type { BuildQuery } from "../engine/client.js";

/** The Engine operations of a build. */
export type BuildApi = Pick<
  Engine,
  "endpoint" | "openBuildSession" | "postBuild" | "cancelBuild" | "inspectImage"
>;
