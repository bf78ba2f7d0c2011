/**
 * johnny-five ships no type declarations; this declares the components the station uses. They are
 * imported one by one: the package index loads every component johnny-five has (firmata, LCD,
 * motors, sensors…), which cost a start of the station on the board a noticeable share of its time.
 */
declare module 'johnny-five/lib/board.js' {
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
  export = Board;
}

declare module 'johnny-five/lib/led/led.js' {
  import type Board from 'johnny-five/lib/board.js';
  class Led {
    constructor(options: { pin: number; board: Board });
    on(): this;
    off(): this;
    readonly isOn: boolean;
  }
  export = Led;
}

declare module 'johnny-five/lib/pin.js' {
  import type { EventEmitter } from 'node:events';
  import type Board from 'johnny-five/lib/board.js';
  class Pin extends EventEmitter {
    constructor(options: { pin: number; type?: 'digital'; mode?: number; board: Board });
    high(): this;
    low(): this;
  }
  export = Pin;
}

declare module 'johnny-five' {
  import type Board from 'johnny-five/lib/board.js';
  import type Led from 'johnny-five/lib/led/led.js';
  import type Pin from 'johnny-five/lib/pin.js';
  const five: { Board: typeof Board; Led: typeof Led; Pin: typeof Pin };
  export default five;
}
