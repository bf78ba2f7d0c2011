/**
 * A one-line text field driven by the keyboard: printable keys type, Backspace erases, Enter
 * submits, Esc cancels. Ink has no text input of its own.
 */
import { useEffect, useRef, useState } from 'react';
import { Text, useInput, type Key } from 'ink';
import { splitKeys } from './keys.js';
import type { ViewContext } from './station-client.js';

export interface LineInputProps {
  ctx: ViewContext;
  label: string;
  initial?: string;
  /** Characters accepted; default any printable. */
  accept?: RegExp;
  maxLength?: number;
  onSubmit(value: string): void;
  onCancel(): void;
}

export function LineInput({ ctx, label, initial = '', accept, maxLength = 200, onSubmit, onCancel }: LineInputProps) {
  const [value, setValue] = useState(initial);
  const current = useRef(initial);
  const done = useRef(false);

  const apply = (input: string, key: Key) => {
    // After Enter or Esc, keys belong to whatever opens next (the next field of the same dialog).
    if (done.current) return ctx.keepTypedAhead(input, key);
    if (key.return) {
      done.current = true;
      onSubmit(current.current);
    } else if (key.escape || (key.ctrl && input === 'c')) {
      done.current = true;
      onCancel();
    } else if (key.backspace || key.delete) {
      // Most terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
      current.current = [...current.current].slice(0, -1).join('');
    } else if (!key.ctrl && !key.meta && input && !/[\u0000-\u001f]/.test(input)) {
      const typed = accept ? [...input].filter((c) => accept.test(c)).join('') : input;
      current.current = (current.current + typed).slice(0, maxLength);
    }
    setValue(current.current);
  };

  useInput((input, key) => {
    for (const k of splitKeys(input, key)) apply(k.input, k.key);
  });
  useEffect(() => {
    for (const k of ctx.takeTypedAhead()) apply(k.input, k.key);
  }, []);

  return (
    <Text>
      {label}
      <Text inverse>{value}_</Text>
      <Text dimColor>  (Enter: OK, Esc: cancel)</Text>
    </Text>
  );
}
