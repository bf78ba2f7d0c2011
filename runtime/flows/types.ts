/**
 * The shape of a flow file (flows/<id>.yaml) once validated against flows/schema.json, and of a
 * bundle of them. Keep in step with flows/schema.json and docs/flows.md.
 */
import type { Key } from '../kernel/input.js';
import type { RecordKind, RpcService } from './ports.js';
import type { MeasurementKind } from '../../drivers/types.js';
import type { ContentBundle } from './content-bundle.js';
import type { ProcedureSet } from './procedures.js';

export type Locale = 'vi' | 'en';

/** A catalog key (`common.recorded`) or literal texts. */
export type Text = string | { vi: string; en: string };

export type StepKind =
  | 'menu' | 'info' | 'input' | 'identity' | 'consent' | 'measure' | 'lookup' | 'confirm' | 'pay'
  | 'submit' | 'print' | 'result' | 'end' | 'form' | 'scan';

export const stepKinds: readonly StepKind[] = [
  'menu', 'info', 'input', 'identity', 'consent', 'measure', 'lookup', 'confirm', 'pay', 'submit',
  'print', 'result', 'end', 'form', 'scan',
];

export type Outcome =
  | 'ok' | 'error' | 'timeout' | 'skip' | 'refused' | 'empty' | 'cancel' | 'expired' | 'failed'
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

/** Outcomes each kind can produce, besides option keys of its `options`. */
export const outcomesByKind: Record<StepKind, readonly Outcome[]> = {
  menu: ['ok', 'empty', 'timeout'],
  info: ['ok', 'timeout'],
  input: ['ok', 'skip', 'error', 'timeout'],
  identity: ['ok', 'skip', 'error', 'timeout'],
  consent: ['ok', 'refused'],
  measure: ['ok', 'skip', 'error', 'timeout'],
  lookup: ['ok', 'empty', 'error', 'timeout'],
  confirm: ['ok', 'cancel', 'timeout'],
  pay: ['ok', 'skip', 'expired', 'failed', 'cancel', 'error', 'timeout'],
  submit: ['ok', 'error', 'timeout'],
  print: ['ok', 'error', 'timeout'],
  result: ['ok', 'timeout'],
  end: [],
  form: ['ok', 'error', 'timeout'],
  scan: ['ok', 'error', 'timeout'],
};

export type ValidatorName =
  | 'cccd12' | 'phone' | 'dossierCode' | 'customerCode' | 'bhxhCode' | 'personalIdOrBhxh' | 'digits' | 'amount';

export interface MenuOption {
  key: Key;
  label: Text;
  hint?: Text;
  next: string;
  value?: string | number;
}

export interface Row {
  label: Text;
  value: string;
  unit?: string;
}

export interface PrintLine {
  text?: Text;
  bold?: boolean;
  size?: 1 | 2;
  align?: 'left' | 'center' | 'right';
  qr?: string;
}

export type TemplateMap = Record<string, string | number | boolean>;

interface StepBase {
  title: Text;
  body?: Text[];
  help?: Text;
  timeoutMs?: number;
  next?: string;
  on?: Partial<Record<Outcome, string>>;
  back?: boolean;
}

/** Options built from a list in session data: keys 1..9 in list order. */
export interface OptionsFrom {
  path: string;
  label: string;
  hint?: string;
  value?: string;
}

export type MenuStep = StepBase & { kind: 'menu'; options?: MenuOption[]; optionsFrom?: OptionsFrom; save?: string };
export type InfoStep = StepBase & { kind: 'info'; pages?: Text[][]; options?: MenuOption[]; contentFrom?: string };
export type InputStep = StepBase & {
  kind: 'input'; validator: ValidatorName; minLength?: number; maxLength?: number; mask?: string;
  personal?: boolean; optional?: boolean; placeholder?: Text; save: string; maxAttempts?: number;
};
export type IdentityStep = StepBase & { kind: 'identity'; optional?: boolean; allowTyped?: boolean; maxAttempts?: number };
export type ConsentStep = StepBase & { kind: 'consent'; purpose: string; text: Text };
export type MeasureStep = StepBase & { kind: 'measure'; measurement: MeasurementKind; skippable?: boolean; autoStart?: boolean };
export type LookupStep = StepBase & { kind: 'lookup'; service: RpcService; params?: TemplateMap; save: string; emptyPath?: string };
export type ConfirmStep = StepBase & { kind: 'confirm'; rows?: Row[] };
export type PayStep = StepBase & { kind: 'pay'; amount: string; reference: string; purpose?: string; save?: string };
export type SubmitStep = StepBase & {
  kind: 'submit'; record: RecordKind; payload?: TemplateMap; payloadFrom?: 'health-fhir';
  personal?: boolean; priority?: boolean; save?: string;
};
export type PrintStep = StepBase & { kind: 'print'; lines?: PrintLine[]; linesFrom?: 'health' };
export type ResultStep = StepBase & {
  kind: 'result'; rows?: Row[]; rowsFrom?: 'health' | 'dossier-timeline'; source?: string;
  /** `label` is a template, or one per language when it holds words (`{ vi, en }`). */
  list?: { path: string; label: string | { vi: string; en: string }; value: string; pageSize?: number };
  options?: MenuOption[]; save?: string; tone?: 'neutral' | 'good' | 'caution' | 'warning' | 'danger';
};
export type EndStep = StepBase & { kind: 'end'; outcome?: 'completed' | 'abandoned' | 'failed' };
/** An official form (flows/procedures/<procedure>.yaml) filled field by field; the result is saved at `save`. */
export type FormStep = StepBase & { kind: 'form'; procedure: string; save: string };
/** The papers a filled form (at `from`) calls for, scanned page by page, joined, sealed and sent to central. */
export type ScanStep = StepBase & { kind: 'scan'; from: string };

export type Step =
  | MenuStep | InfoStep | InputStep | IdentityStep | ConsentStep | MeasureStep | LookupStep | ConfirmStep
  | PayStep | SubmitStep | PrintStep | ResultStep | EndStep | FormStep | ScanStep;

export interface FlowDefinition {
  id: string;
  version: number;
  title: Text;
  menu?: { key: Key; hint?: Text };
  feedback?: boolean;
  start: string;
  steps: Record<string, Step>;
}

export type Catalog = Record<string, string>;

/** A validated set of flows with the message catalogs they use. Immutable once built. */
export interface FlowBundle {
  flows: Record<string, FlowDefinition>;
  catalogs: Record<Locale, Catalog>;
  /** Flow ids on the home menu, in key order 1..9 then 0. */
  homeMenu: { key: Key; flowId: string }[];
  /** Content bundles (flows/content/<id>.yaml) that info steps show with `contentFrom`. */
  contents: Record<string, ContentBundle>;
  /** Procedures and administrative units (flows/procedures/) that form steps fill; absent when there are none. */
  procedures?: ProcedureSet;
  /** Content hash of the source files, reported to central with the flow versions. */
  digest: string;
}
