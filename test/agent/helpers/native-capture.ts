import { loadNativeCapture, type NativeCaptureModule } from '../../../agent/platform/linux-x11/native-capture.ts';

/** The native capture addon; the tests need it built (`npm run build:native`, part of `npm run build`). */
export function requireNativeCapture(): NativeCaptureModule {
  const native = loadNativeCapture();
  if (!native.module) throw new Error(`the native capture addon is missing: ${native.reason}`);
  return native.module;
}
