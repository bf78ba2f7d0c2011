/** A simulated chip CCCD signed with the development DS, and the CSCA that trusts it. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildChipFiles, type ChipFaults, type SimulatedCitizen } from '../../drivers/simulators/cccd-chip-files.js';
import { CccdChipEmulator } from '../../drivers/simulators/cccd-chip.js';
import { accessKeyFromQr } from '../../drivers/id-chip/access-key.js';
import { formatCccdQr } from '../../drivers/cccd.js';

const keys = new URL('../../config/dev-keys/', import.meta.url);
const fixtures = new URL('../drivers/id-chip/fixtures/', import.meta.url);

export const devSigner = {
  certificate: readFileSync(new URL('cccd-dev-ds.pem', keys), 'utf8'),
  privateKey: readFileSync(new URL('cccd-dev-ds.key.pem', keys), 'utf8'),
};
export const unknownSigner = {
  certificate: readFileSync(new URL('unknown-ds.pem', fixtures), 'utf8'),
  privateKey: readFileSync(new URL('unknown-ds.key.pem', fixtures), 'utf8'),
};
export const devCsca = new X509Certificate(readFileSync(new URL('cccd-dev-csca.pem', keys)));
export const devMasterListPath = new URL('cccd-dev-csca.pem', keys).pathname;

export const citizen: SimulatedCitizen = {
  idNumber: '079090001234', fullName: 'Nguyễn Văn An', birthDate: '1990-05-17', sex: 'male',
  placeOfOrigin: 'Quảng Ngãi', placeOfResidence: 'Bình Trưng, Thành phố Hồ Chí Minh', issueDate: '2021-06-10',
  expiryDate: '2030-05-17', fatherName: 'Nguyễn Văn Bình', motherName: 'Trần Thị Cúc',
};

/** The QR printed on that card (number, old number, name, birth, sex, address, issue date). */
export const citizenQr = formatCccdQr({
  id: citizen.idNumber, oldId: null, name: citizen.fullName, birthDate: citizen.birthDate, sex: citizen.sex,
  address: citizen.placeOfResidence, issueDate: citizen.issueDate,
});

export function chipOf(c: SimulatedCitizen = citizen, options: { faults?: ChipFaults; signer?: typeof devSigner } = {}): CccdChipEmulator {
  const key = accessKeyFromQr(c.idNumber, c.birthDate, c.issueDate);
  if (!key) throw new Error('the test citizen has no expiry date');
  return new CccdChipEmulator(buildChipFiles(c, options.signer ?? devSigner, options.faults), key);
}
