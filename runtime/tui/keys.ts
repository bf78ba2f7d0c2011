/**
 * Keys one at a time. Ink hands a chunk of several keys (typed fast, or batched by a slow SSH link)
 * to its listeners as one input string; the views act on single keys, so such a chunk is split
 * here. Ink has already cut escape sequences (arrows, function keys) into their own events, so a
 * chunk holds only printable characters and single control bytes.
 */
import { useInput, type Key } from 'ink';
import type { TypedKey, ViewContext } from './station-client.js';

const none: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/** One TypedKey per key in what Ink reported; a single key passes through unchanged. */
export function splitKeys(input: string, key: Key): TypedKey[] {
  const chars = [...input];
  if (chars.length <= 1) return [{ input, key }];
  return chars.map((c): TypedKey => {
    if (c === '\r' || c === '\n') return { input: '', key: { ...none, return: true } };
    if (c === '\t') return { input: '', key: { ...none, tab: true } };
    if (c === '\u007f') return { input: '', key: { ...none, delete: true } };
    if (c === '\b') return { input: '', key: { ...none, backspace: true } };
    const code = c.codePointAt(0)!;
    // Ctrl-A..Ctrl-Z arrive as 0x01..0x1a; Ink reports them as the letter with ctrl.
    if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ...none, ctrl: true } };
    return { input: c, key: { ...none, shift: c !== c.toLowerCase() } };
  });
}

/**
 * Like Ink's useInput, one key at a time. When a key opens a field, the keys after it in the same
 * chunk are kept for that field (ViewContext.keepTypedAhead) instead of reaching this view.
 */
export function useKeys(ctx: ViewContext, handler: (input: string, key: Key) => void, isActive = true): void {
  useInput(
    (input, key) => {
      // A field is open or opening: the frame keeps these keys for it.
      if (ctx.capturing()) return;
      const keys = splitKeys(input, key);
      for (let i = 0; i < keys.length; i++) {
        if (ctx.capturing()) {
          for (const k of keys.slice(i)) ctx.keepTypedAhead(k.input, k.key);
          return;
        }
        handler(keys[i]!.input, keys[i]!.key);
      }
    },
    { isActive },
  );
}
