import type { NextConfig } from "next";

const config: NextConfig = {
  // PGlite ships WASM and postgres-js opens sockets: keep them out of the bundler.
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  poweredByHeader: false,
  // The dev badge sits over the sidebar's account links.
  devIndicators: false,
};

export default config;
