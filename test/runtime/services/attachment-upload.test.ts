import t from 'tap';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { uploadAttachment, sha256 } from '../../../runtime/services/attachment-upload.js';
import type { RpcClient, RpcService } from '../../../runtime/flows/ports.js';
import { StationError } from '../../../runtime/kernel/errors.js';
import { DossierDesk, loadProcedureDir } from '../../../scripts/central-sim/dossier-desk.js';
import { flowsDir } from '../../fakes/service-station.js';

/** The simulator's desk behind an RPC client that can die after a number of chunk calls, answer lost. */
function centralWithCrash(desk: DossierDesk, crashAfterChunks = Infinity): RpcClient & { calls: Record<string, unknown>[] } {
  let chunks = 0;
  const calls: Record<string, unknown>[] = [];
  return {
    calls,
    async call<T>(service: RpcService, params: Record<string, unknown>): Promise<T> {
      if (service !== 'dossier-attachment') throw new StationError('RPC_FAILED');
      calls.push(params);
      const answer = desk.attachment(structuredClone(params));
      if (params['op'] === 'chunk' && ++chunks >= crashAfterChunks) throw new StationError('RPC_UNAVAILABLE', 'the station died before the answer');
      return answer as T;
    },
  };
}

t.test('a paper goes in checksummed chunks; an upload cut off resumes with the missing chunks only', async (t) => {
  const desk = new DossierDesk(loadProcedureDir(join(flowsDir, 'procedures')));
  const pdf = randomBytes(5 * 48 * 1024 + 1000);
  const ref = { dossierId: 'sess-1', paperId: 'lodging-proof' };
  const dying = centralWithCrash(desk, 3);
  await t.rejects(uploadAttachment(dying, ref, pdf), { code: 'RPC_UNAVAILABLE' }, 'the first run dies after its third chunk reached central');
  t.equal(desk.paper('sess-1', 'lodging-proof'), undefined, 'not complete yet');

  const restarted = centralWithCrash(desk);
  const result = await uploadAttachment(restarted, ref, pdf);
  t.same(result, { sha256: sha256(pdf), size: pdf.length, chunks: 6, sent: 3 }, 'only the three chunks central lacked are sent');
  t.same(restarted.calls.filter((c) => c['op'] === 'chunk').map((c) => c['index']), [3, 4, 5]);
  const stored = desk.paper('sess-1', 'lodging-proof');
  t.same(stored?.bytes, pdf, 'central assembled exactly the file');
  t.equal(stored?.duplicates, 0, 'no chunk was stored or sent twice');
  t.same(await uploadAttachment(centralWithCrash(desk), ref, pdf), { sha256: sha256(pdf), size: pdf.length, chunks: 6, sent: 0 }, 'a finished paper is not sent again');
});

t.test('central refuses a chunk whose checksum does not match, and a dossier whose papers are missing', async (t) => {
  const desk = new DossierDesk(loadProcedureDir(join(flowsDir, 'procedures')));
  const data = Buffer.from('page');
  t.throws(() => desk.attachment({ op: 'chunk', dossierId: 'd', paperId: 'p', sha256: sha256(data), size: 4, total: 1, index: 0, chunkSha256: sha256(Buffer.from('evil')), data: data.toString('base64') }),
    /chunk 0 checksum mismatch/);
  t.throws(() => desk.intake({ submissionId: 'sess-000000002', procedure: 'birth-registration', papers: ['birth-certificate'], values: {
    recipient: 'binh-trung', declarantName: 'Trần Thị Mai', declarantId: '079190001234', declarantRelation: 'mother', phone: '0912345678',
    childName: '(gọi lại)', childBirthDate: '2026-11-20', childSex: 'female', birthPlace: 'ho-chi-minh', ethnicity: 'kinh', hometown: 'ho-chi-minh', married: 'no',
  } }, Date.UTC(2026, 10, 25)),
    /Giấy tờ chưa gửi đủ: birth-certificate/);
});
