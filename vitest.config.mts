// Vitest: unit tests once, integration tests against both databases the app supports
// (embedded PGlite, and a real Postgres named by TEST_DATABASE_URL).
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;

export default defineConfig({
  resolve: {
    alias: {
      "@": root,
      // The real module throws outside a React Server Components bundle.
      "server-only": path.join(root, "tests/helpers/empty.ts"),
    },
  },
  test: {
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "pglite",
          env: { TEST_DB: "pglite" },
          include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          env: { TEST_DB: "postgres" },
          include: ["tests/integration/**/*.test.ts"],
        },
      },
    ],
  },
});
