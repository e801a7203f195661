/** postject ships no types; the one function the applet build uses. */
declare module 'postject' {
  const postject: {
    inject(
      filename: string,
      resourceName: string,
      resourceData: Buffer,
      options?: { sentinelFuse?: string; machoSegmentName?: string; overwrite?: boolean },
    ): Promise<void>;
  };
  export default postject;
}
