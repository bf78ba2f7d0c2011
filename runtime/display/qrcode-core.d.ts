/** qrcode's encoder module alone (runtime/display/server.ts); its types are those of the package's `create`. */
declare module 'qrcode/lib/core/qrcode.js' {
  export { create } from 'qrcode';
}
