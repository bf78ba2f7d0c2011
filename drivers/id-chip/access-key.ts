/**
 * The BAC access key of a chip CCCD from what the station knows before reading the chip.
 *
 * The CCCD's TD1 MRZ carries the last 9 digits of the 12-digit number as its document number
 * (the full number sits in the optional data), the birth date and the expiry date. The QR gives
 * the number, birth date and issue date but no expiry date, and a resident typing cannot be asked
 * for it, so it is derived from the validity rule:
 *
 * - Law on Citizen Identification 2014 (59/2014/QH13) art. 21: the card is changed when its holder
 *   turns 25, 40 and 60; a card issued within 2 years before one of those ages stays valid until the
 *   next one; a card issued at 58 or later does not expire.
 * - Law on Identification 2023 (26/2023/QH15) art. 21, for cards issued from 1 July 2024: the same,
 *   with 14 added to the ages.
 *
 * The expiry date is the holder's birthday at that age. Without an issue date (typed number), the
 * next two such birthdays that are still ahead are the candidates.
 */
import type { MrzKey } from './bac.js';

const law2023From = '2024-07-01';

function birthdayAt(birthIso: string, age: number): string {
  const year = Number(birthIso.slice(0, 4)) + age;
  const md = birthIso.slice(5, 10);
  // 29 February births: the birthday in a common year is taken as 28 February.
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${year}-${md === '02-29' && !leap ? '02-28' : md}`;
}

function agesFor(issueIso: string): number[] {
  return issueIso >= law2023From ? [14, 25, 40, 60] : [25, 40, 60];
}

/** The expiry date (ISO) a card issued on `issueIso` carries, or null when it does not expire. */
export function cccdExpiry(birthIso: string, issueIso: string): string | null {
  for (const age of agesFor(issueIso)) {
    if (issueIso < birthdayAt(birthIso, age - 2)) return birthdayAt(birthIso, age);
  }
  return null;
}

const yymmdd = (iso: string) => `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;

/** The access key when number, birth date and issue date are known (QR); null when the card has no expiry date. */
export function accessKeyFromQr(id: string, birthIso: string, issueIso: string): MrzKey | null {
  const expiry = cccdExpiry(birthIso, issueIso);
  return expiry ? { documentNumber: id.slice(3), birthDate: yymmdd(birthIso), expiryDate: yymmdd(expiry) } : null;
}

/** Candidate access keys from a typed number and birth date: the next two expiry birthdays after `todayIso`. */
export function accessKeysFromTyped(id: string, birthIso: string, todayIso: string): MrzKey[] {
  const ages = [14, 25, 40, 60];
  return ages
    .map((age) => birthdayAt(birthIso, age))
    .filter((date) => date > todayIso)
    .slice(0, 2)
    .map((expiry) => ({ documentNumber: id.slice(3), birthDate: yymmdd(birthIso), expiryDate: yymmdd(expiry) }));
}
