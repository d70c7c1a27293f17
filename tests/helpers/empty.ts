// Stands in for the "server-only" package, whose import throws outside Next's server bundle.
export {};
