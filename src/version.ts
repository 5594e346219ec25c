/** composec's version: printed by `--version` and written to the version labels of what it creates. */
export const COMPOSEC_VERSION = "0.1.0";
