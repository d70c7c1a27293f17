export * from "./auth";
export * from "./orgs";
