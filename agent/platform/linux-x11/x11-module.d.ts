/** The `x11` package ships no types; the agent types what it uses in display.ts. */
declare module 'x11' {
  const x11: {
    createClient(options: object, cb: (err: unknown, display: unknown) => void): unknown;
    eventMask: Record<string, number>;
  };
  export default x11;
}
