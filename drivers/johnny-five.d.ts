/** johnny-five ships no type declarations; this declares the components the station uses. */
declare module 'johnny-five' {
  import type { EventEmitter } from 'node:events';
  interface BoardOptions {
    io: unknown;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
  }
  class Board extends EventEmitter {
    constructor(options: BoardOptions);
    isReady: boolean;
  }
  class Led {
    constructor(options: { pin: number; board: Board });
    on(): this;
    off(): this;
    readonly isOn: boolean;
  }
  class Pin extends EventEmitter {
    constructor(options: { pin: number; type?: 'digital'; mode?: number; board: Board });
    high(): this;
    low(): this;
  }
  const five: { Board: typeof Board; Led: typeof Led; Pin: typeof Pin };
  export default five;
}
