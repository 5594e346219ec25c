import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/results/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  { files: ["bench/**", "scripts/**", "test/**", "examples/**"], rules: { "no-console": "off" } },
  {
    // The Engine interface speaks composec's own types (src/engine/types.ts): only src/engine knows
    // dockerode, so a second engine implementation is one file there.
    files: ["src/**/*.ts"],
    ignores: ["src/engine/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "dockerode",
              message: "only src/engine talks to dockerode; use the Engine interface and src/engine/types.ts",
            },
          ],
        },
      ],
    },
  },
);
