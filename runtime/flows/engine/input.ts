/** What a resident's key, touch, typed text or scan does on the current step. */
import { createHash } from 'node:crypto';
import type { InputEvent, Key } from '../../kernel/input.js';
import type { Outcome, Step } from '../types.js';
import { ageBandOf } from '../../analytics/events.js';
import { parseCccd, validateCccdNumber } from '../../../drivers/cccd.js';
import { charsetOf, maxLengthOf, validateInput } from '../../services/validators.js';
import { setPath } from '../template.js';
import type { ChipAccessRequest, EffectEvent, SessionIdentity } from './state.js';
import { Tx } from './tx.js';
import { noteSkipped } from './skipped.js';
import { whatIsWrong, maskIdentityDigits, type WhatIsWrong } from './typed.js';
import { enterStep, finishRun, goHome, leave, noteFailure, startMeasure, startRun } from './run.js';
import { liveOptions, menuPages, pageCount } from './render.js';
import { formBack, onFormInput } from './form-step.js';
import { onScanKey } from './scan-step.js';

/** Whether the first three digits of a CCCD are a province code (drivers/cccd.ts holds the table). */
function knownProvince(code: string): boolean {
  const probe = validateCccdNumber(`${code}000000000`);
  return probe.ok;
}

function keyOf(event: InputEvent): Key | undefined {
  return event.type === 'key' || event.type === 'touch' ? event.key : undefined;
}

export function onInput(tx: Tx, event: InputEvent): void {
  const key = keyOf(event);
  if (tx.s.idleUntil !== undefined) {
    // Any key answers "are you still there?"; it does nothing else.
    tx.s.idleUntil = undefined;
    tx.s.countdown = undefined;
    const step = tx.step;
    if (key === 'home') goHome(tx);
    else if (step) tx.setTimer(tx.stepTimeout(step));
    return;
  }
  if (!tx.s.run) {
    onHomeInput(tx, event, key);
    return;
  }
  if (key === 'home') {
    goHome(tx);
    return;
  }
  if (tx.s.notice || tx.step?.kind === 'end') {
    if (key === 'ok' || key === '#' || key === 'back') finishRun(tx);
    return;
  }
  const step = tx.step;
  if (!step) return;
  if (key === 'help') {
    tx.s.help = !tx.s.help;
    restartInactivity(tx, step);
    return;
  }
  if (tx.s.help && (key === 'back' || key === 'ok' || key === '#')) {
    tx.s.help = false;
    restartInactivity(tx, step);
    return;
  }
  if (key === 'back') {
    // A record, receipt or payment already on its way cannot be taken back; a measurement in
    // progress is stopped by the measure step itself.
    const working = tx.s.step.phase === 'working';
    if (working && step.kind !== 'lookup') {
      if (step.kind !== 'measure') return;
    } else {
      if (step.kind === 'form' && formBack(tx, step)) return;
      goBack(tx);
      return;
    }
  }
  restartInactivity(tx, step);
  switch (step.kind) {
    case 'menu':
    case 'info':
    case 'result': {
      const option = liveOptions(tx.def.bundle, tx.s.locale, tx.s.data, step).find((o) => o.key === key);
      if (option) {
        const save = 'save' in step ? step.save : undefined;
        // The value goes to central; `<save>Label` is what the resident chose in their words, for
        // the screens that repeat it (a provider's id like `vnpt-ca` is never shown).
        if (save) tx.s.data = setPath(setPath(tx.s.data, save, option.value), `${save}Label`, option.label);
        leave(tx, option.fromList ? 'ok' : (option.key as Outcome));
        return;
      }
      if (step.kind === 'menu' && key === '#') {
        const pages = menuPages(liveOptions(tx.def.bundle, tx.s.locale, tx.s.data, step).length);
        tx.s.step = { ...tx.s.step, page: (tx.s.step.page + 1) % pages };
        return;
      }
      const pages = pageCount(tx, step);
      if (key === '6' && tx.s.step.page + 1 < pages) tx.s.step = { ...tx.s.step, page: tx.s.step.page + 1 };
      else if (key === '4' && tx.s.step.page > 0) tx.s.step = { ...tx.s.step, page: tx.s.step.page - 1 };
      else if ((key === 'ok' || key === '#') && step.kind !== 'menu') leave(tx, 'ok');
      return;
    }
    case 'confirm':
      if (key === '1' || key === 'ok' || key === '#') leave(tx, 'ok');
      else if (key === '2') leave(tx, 'cancel');
      return;
    case 'consent':
      if (tx.s.step.phase === 'working') return;
      if (key === '1') answerConsent(tx, true);
      else if (key === '2') answerConsent(tx, false);
      return;
    case 'input':
      onTyping(tx, event, key, charsetOf(step.validator), maxLengthOf(step.validator, step), () => {
        const value = tx.s.step.value;
        if (value === '' && step.optional) {
          leave(tx, 'skip');
          return;
        }
        const checked = value === '' ? { ok: false as const, reason: 'invalid.empty' } : validateInput(step.validator, value, step);
        if (checked.ok) {
          tx.s.data = setPath(tx.s.data, step.save, checked.value);
          leave(tx, 'ok');
        } else refuse(tx, whatIsWrong(step.validator, value, checked.reason, knownProvince), step.maxAttempts ?? 3);
      });
      return;
    case 'identity':
      if (tx.s.step.phase === 'working') return;
      // Every CCCD starts with 0, so skipping is OK on an empty field, never the 0 key.
      if ((key === 'ok' || key === '#') && step.optional && tx.s.step.value === '') {
        leave(tx, 'skip');
        return;
      }
      if (event.type === 'scan') {
        const parsed = parseCccd(event.text);
        if (!parsed.ok) {
          refuse(tx, { key: 'identity.scan-unreadable' }, step.maxAttempts ?? 3);
          return;
        }
        const v = parsed.value;
        setIdentity(tx, { id: v.id, masked: maskIdentityDigits(v.id, true), name: v.name, birthDate: v.birthDate, sex: v.sex, source: 'qr' });
        if (tx.def.config.chipReader) startChipRead(tx, { id: v.id, birthDate: v.birthDate, issueDate: v.issueDate });
        else leave(tx, 'ok');
        return;
      }
      if (step.allowTyped === false) return;
      onTyping(tx, event, key, 'digits', 12, () => {
        const value = tx.s.step.value;
        const checked = validateInput('cccd12', value);
        const info = checked.ok ? validateCccdNumber(value) : undefined;
        if (!checked.ok || !info?.ok) {
          refuse(tx, whatIsWrong('cccd12', value, checked.ok ? 'invalid.cccd' : checked.reason, knownProvince), step.maxAttempts ?? 3);
          return;
        }
        setIdentity(tx, { id: value, masked: maskIdentityDigits(value, true), birthYear: info.value.birthYear, sex: info.value.sex, source: 'typed' });
        leave(tx, 'ok');
      });
      return;
    case 'measure': {
      const skippable = step.skippable !== false;
      if (tx.s.step.phase === 'working') {
        if (key === '0' || key === 'back') {
          tx.abortWork();
          tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined, progress: undefined };
          if (key === '0' && skippable) {
            noteSkipped(tx, step.measurement, 'skipped');
            leave(tx, 'skip');
          }
        }
        return;
      }
      if (key === '0' && skippable) {
        noteSkipped(tx, step.measurement, 'skipped');
        leave(tx, 'skip');
      }
      else if (key === 'ok' || key === '#') startMeasure(tx, step.measurement);
      return;
    }
    case 'form':
      onFormInput(tx, step, event, key, { leave, noteFailure });
      return;
    case 'scan':
      onScanKey(tx, step, key, { leave, noteFailure });
      return;
    case 'pay':
      if (key === '2') {
        tx.abortWork();
        if (tx.s.payment) tx.effects.push({ type: 'payment', payment: tx.s.payment });
        tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined };
        leave(tx, 'cancel');
      }
      return;
    default:
      return;
  }
}

function onHomeInput(tx: Tx, event: InputEvent, key: Key | undefined): void {
  if (tx.s.maintenance) return;
  if (key === 'help') {
    tx.s.help = !tx.s.help;
    return;
  }
  if (key === '*') {
    tx.s.locale = tx.s.locale === 'vi' ? 'en' : 'vi';
    return;
  }
  if (tx.s.help && (key === 'back' || key === 'ok')) {
    tx.s.help = false;
    return;
  }
  if (key === '#') {
    tx.s.step = { ...tx.s.step, page: (tx.s.step.page + 1) % menuPages(tx.def.bundle.homeMenu.length) };
    return;
  }
  const entry = tx.def.bundle.homeMenu.find((m) => m.key === key);
  if (!entry || event.type === 'scan' || event.type === 'text') return;
  const locale = tx.s.locale;
  startRun(tx, entry.flowId);
  tx.s.locale = locale;
}

function restartInactivity(tx: Tx, step: Step): void {
  if (tx.s.step.phase === 'working') return;
  tx.setTimer(tx.stepTimeout(step));
}

function goBack(tx: Tx): void {
  const previous = tx.s.history[tx.s.history.length - 1];
  if (previous === undefined) {
    if (!tx.s.committed) goHome(tx);
    return;
  }
  tx.abortWork();
  tx.s.history = tx.s.history.slice(0, -1);
  const run = tx.s.run;
  if (run) {
    const last = run.steps[run.steps.length - 1];
    if (last) tx.s.run = { ...run, steps: [...run.steps.slice(0, -1), { ...last, durationMs: tx.ctx.now - last.enteredAt, outcome: 'back' }] };
  }
  enterStep(tx, previous);
}

function onTyping(tx: Tx, event: InputEvent, key: Key | undefined, charset: 'digits' | 'code', max: number, submit: () => void): void {
  const allowed = charset === 'digits' ? /[0-9]/ : /[0-9A-Za-z.\-]/;
  if (event.type === 'text' || event.type === 'scan') {
    const text = [...event.text.trim()].filter((ch) => allowed.test(ch)).join('').slice(0, max);
    tx.s.step = { ...tx.s.step, value: charset === 'code' ? text.toUpperCase() : text, error: undefined, errorParams: undefined };
    if (event.type === 'scan') submit();
    return;
  }
  if (key === undefined) return;
  if (/^[0-9]$/.test(key)) {
    if (tx.s.step.value.length < max) tx.s.step = { ...tx.s.step, value: tx.s.step.value + key, error: undefined, errorParams: undefined };
  } else if (key === '*') {
    tx.s.step = { ...tx.s.step, value: tx.s.step.value.slice(0, -1), error: undefined, errorParams: undefined };
  } else if (key === 'ok' || key === '#') {
    submit();
  }
}

/** Shows why the value was refused; after `maxAttempts` refusals the step gives the error outcome. */
function refuse(tx: Tx, wrong: WhatIsWrong, maxAttempts: number): void {
  const attempts = tx.s.step.attempts + 1;
  // The field keeps what was typed: the resident corrects the part named, not all 19 digits again.
  tx.s.step = { ...tx.s.step, attempts, error: wrong.key, errorParams: wrong.params };
  if (attempts >= maxAttempts) {
    noteFailure(tx, 'input', 'INPUT_INVALID');
    tx.s.data = setPath(tx.s.data, 'error.code', 'INPUT_INVALID');
    leave(tx, 'error', { cause: 'input', code: 'INPUT_INVALID' });
  }
}

function setIdentity(tx: Tx, identity: SessionIdentity): void {
  tx.s.data = { ...tx.s.data, identity };
  const run = tx.s.run;
  if (!run) return;
  // Beneficiary figures come only from a scanned card (its printed date of birth), never from typed digits.
  const band = identity.source !== 'typed' && identity.birthDate ? ageBandOf(identity.birthDate, tx.ctx.now) : undefined;
  if (band) tx.s.run = { ...run, beneficiary: { ageBand: band, sex: identity.sex ?? 'unknown' } };
}

export function answerConsent(tx: Tx, agreed: boolean): void {
  const step = tx.step;
  const run = tx.s.run;
  if (!step || step.kind !== 'consent' || !run) return;
  const text = tx.text(step.text);
  const effectId = tx.nextId('rec');
  tx.s.step = { ...tx.s.step, phase: 'working', effectId, consentAnswer: agreed };
  tx.setTimer(tx.stepTimeout(step));
  tx.effects.push({
    type: 'record', effectId, kind: 'consent',
    payload: {
      sessionId: run.sessionId, flowId: run.flowId, flowVersion: run.flowVersion, purpose: step.purpose,
      granted: agreed, at: tx.ctx.now, locale: tx.s.locale, text,
      textSha256: createHash('sha256').update(text).digest('hex'),
    },
    options: { personal: false, priority: false },
  });
}

/**
 * After the QR: the chip is read with the key the QR gives (number, birth and issue dates), the
 * card being on the reader's tray with its QR under the scanner.
 */
function startChipRead(tx: Tx, access: ChipAccessRequest): void {
  const step = tx.step;
  if (!step) return;
  const effectId = tx.nextId('chip');
  tx.s.step = { ...tx.s.step, phase: 'working', effectId, error: undefined, progress: { label: tx.text('identity.chip-reading') } };
  tx.setTimer(tx.stepTimeout(step));
  tx.effects.push({ type: 'readChip', effectId, access });
}

/**
 * The chip's answer. Read (verified or not): the chip's identity replaces the QR's. Refused by
 * passive authentication: the resident is told plainly, without accusing, and may use the desk; the
 * QR is not accepted in its place. Any other failure (no card, card moved, wrong key, no reader)
 * keeps the QR identity: the chip is a stronger proof, not a new obstacle.
 */
export function onChipResult(tx: Tx, event: Extract<EffectEvent, { type: 'chip-read' | 'chip-failed' }>): void {
  const step = tx.step;
  if (step?.kind !== 'identity') return;
  tx.s.step = { ...tx.s.step, phase: 'ready', effectId: undefined, progress: undefined };
  if (event.type === 'chip-read') {
    const v = event.identity;
    setIdentity(tx, { id: v.id, masked: maskIdentityDigits(v.id, true), name: v.name, birthDate: v.birthDate, sex: v.sex, source: v.source });
    leave(tx, 'ok');
    return;
  }
  if (event.error.code === 'CHIP_NOT_AUTHENTIC') {
    tx.s.data = { ...tx.s.data, identity: undefined };
    refuse(tx, { key: 'identity.chip-refused' }, step.maxAttempts ?? 3);
    return;
  }
  leave(tx, 'ok');
}
