/** The part of i2c-bus's API that i2c-real.ts calls (the package ships no type declarations). */
declare module 'i2c-bus' {
  export function openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<unknown>;
}
