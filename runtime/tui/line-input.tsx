/**
 * A one-line text field driven by the keyboard: printable keys type, Backspace erases, Enter
 * submits, Esc cancels. Ink has no text input of its own.
 */
import { useState } from 'react';
import { Text, useInput } from 'ink';

export interface LineInputProps {
  label: string;
  initial?: string;
  /** Characters accepted; default any printable. */
  accept?: RegExp;
  maxLength?: number;
  onSubmit(value: string): void;
  onCancel(): void;
}

export function LineInput({ label, initial = '', accept, maxLength = 200, onSubmit, onCancel }: LineInputProps) {
  const [value, setValue] = useState(initial);
  useInput((input, key) => {
    if (key.return) onSubmit(value);
    else if (key.escape) onCancel();
    // Most terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
    else if (key.backspace || key.delete) setValue((v) => [...v].slice(0, -1).join(''));
    else if (!key.ctrl && !key.meta && input && !/[\u0000-\u001f]/.test(input)) {
      const typed = accept ? [...input].filter((c) => accept.test(c)).join('') : input;
      setValue((v) => (v + typed).slice(0, maxLength));
    }
  });
  return (
    <Text>
      {label}
      <Text inverse>{value}_</Text>
      <Text dimColor>  (Enter: OK, Esc: cancel)</Text>
    </Text>
  );
}
