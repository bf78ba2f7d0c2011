/**
 * Places a simulated chip CCCD on vsmartcard's virtual reader, for a station whose `devices.idChip`
 * is `real` with `reader: "Virtual PCD 00 00"` (pcscd and vsmartcard-vpcd installed and running):
 * the card stays on the reader until Ctrl-C. Prints the QR text to give the station's scanner.
 *
 *   npm run build && node dist/scripts/chip-card.js [--alter-dg13] [--forge-sod] [--port 35963]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { accessKeyFromQr } from '../drivers/id-chip/access-key.js';
import { formatCccdQr } from '../drivers/cccd.js';
import { buildChipFiles, type SimulatedCitizen } from '../drivers/simulators/cccd-chip-files.js';
import { CccdChipEmulator } from '../drivers/simulators/cccd-chip.js';
import { VpcdCard } from '../drivers/simulators/vpcd-card.js';

const { values } = parseArgs({ options: { 'alter-dg13': { type: 'boolean' }, 'forge-sod': { type: 'boolean' }, port: { type: 'string', default: '35963' } } });
const keys = new URL('../../config/dev-keys/', import.meta.url);
const signer = { certificate: readFileSync(new URL('cccd-dev-ds.pem', keys), 'utf8'), privateKey: readFileSync(new URL('cccd-dev-ds.key.pem', keys), 'utf8') };
const citizen: SimulatedCitizen = {
  idNumber: '079090001234', fullName: 'Nguyễn Văn An', birthDate: '1990-05-17', sex: 'male', placeOfOrigin: 'Quảng Ngãi',
  placeOfResidence: 'Bình Trưng, Thành phố Hồ Chí Minh', issueDate: '2021-06-10', expiryDate: '2030-05-17',
};
const key = accessKeyFromQr(citizen.idNumber, citizen.birthDate, citizen.issueDate)!;
const files = buildChipFiles(citizen, signer, { alterDg13: values['alter-dg13'] === true, forgeSignature: values['forge-sod'] === true });
const card = new VpcdCard(new CccdChipEmulator(files, key), { port: Number(values.port) });
await card.insert();
console.log(`card on the virtual reader (port ${values.port}); its QR text:`);
console.log(formatCccdQr({ id: citizen.idNumber, oldId: null, name: citizen.fullName, birthDate: citizen.birthDate, sex: citizen.sex, address: citizen.placeOfResidence, issueDate: citizen.issueDate }));
process.once('SIGINT', () => void card.remove().then(() => process.exit(0)));
