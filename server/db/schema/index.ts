export * from "./auth";
export * from "./orgs";
export * from "./datanets";
export * from "./jobs";
export * from "./finetune";
export * from "./serving";
export * from "./api-keys";
export * from "./chain-index";
