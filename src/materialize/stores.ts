// The store a delivery path uses: made once per command, from the path chooseDelivery picked.
import { join } from "node:path";
import type { Engine } from "../engine/client.js";
import type { DeliveryPath } from "../plan/secrets-delivery.js";
import { runtimeLocation, type RuntimeLocation } from "./roots.js";
import type { MaterialStore } from "./store.js";

/** The project's material directory under a runtime location (the local path). */
export function projectMaterialDir(projectName: string, location: RuntimeLocation): string {
  return join(location.root, projectName);
}

/** The store of `projectName`'s material on the given path (throws when the local path has no tmpfs to use). */
export async function materialStore(
  path: DeliveryPath,
  engine: Engine,
  projectName: string,
  location?: RuntimeLocation,
): Promise<MaterialStore> {
  if (path === "local") {
    const where = location ?? runtimeLocation();
    const { LocalTmpfsStore } = await import("./local-store.js");
    return new LocalTmpfsStore(projectMaterialDir(projectName, where), where);
  }
  const [{ EngineSideStore }, { materialHolder }] = await Promise.all([
    import("./engine-store.js"),
    import("./holder/holder.js"),
  ]);
  return new EngineSideStore(materialHolder(engine, projectName), engine);
}
