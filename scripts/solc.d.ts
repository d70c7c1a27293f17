// The part of solc-js (CommonJS, untyped) that scripts/compile-contracts.ts uses.
declare module "solc" {
  const solc: {
    /** Standard JSON in, standard JSON out. */
    compile(input: string): string;
    version(): string;
  };
  export default solc;
}
