// npm run bench:edxml — packages parsed and built per second (5 KB header-only; 1 MB attachment), and
// the peak RSS of a fresh process parsing a package with a 50 MB attachment streamed from disk.
// Ends with one JSON line: {"bench":"edxml","parse5kbPerSecond":…,"build5kbPerSecond":…,
// "parse1mbPerSecond":…,"peakRss50MbMb":…}. Figures are medians of 3 runs of ~1.5 s each.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { OrganId } from '../src/domain/organ-id.ts';
import type { DateOnly } from '../src/edxml/edxml-dates.ts';
import type { OutgoingDocumentPackage, Organization } from '../src/edxml/model.ts';
import { buildDocumentPackage } from '../src/edxml/package-builder.ts';
import { parseEdxml } from '../src/edxml/parse-package.ts';

const organ = (i: number): Organization => ({
  organId: `000.00.${String(i % 100).padStart(2, '0')}.H53` as OrganId,
  organizationInCharge: `UBND huyện số ${i}, tỉnh Tây Ninh`,
  organName: `UBND huyện số ${i}`,
  organAdd: `Số ${i} đường Cách Mạng Tháng Tám, Tây Ninh`,
  email: `vanthu${i}@tayninh.gov.vn`,
  telephone: '0276 3822 111',
});

const model = (attachments: OutgoingDocumentPackage['attachments'], recipients = 5): OutgoingDocumentPackage => ({
  header: {
    from: organ(13),
    to: Array.from({ length: recipients }, (_, i) => organ(20 + i)),
    documentId: '000.00.13.H53,2026/11/20,125/STTTT-VP',
    code: { codeNumber: '125', codeNotation: 'STTTT-VP' },
    promulgationInfo: { place: 'Tây Ninh', promulgationDate: '2026-11-20' as DateOnly },
    documentType: { type: 1, typeDetail: 0, typeName: 'Công văn' },
    subject: 'V/v triển khai kết nối liên thông văn bản điện tử với Trục liên thông văn bản quốc gia',
    content: 'Đề nghị các đơn vị hoàn thành kết nối trước ngày 31/12/2026.',
    signerInfo: { competence: 'KT. GIÁM ĐỐC', position: 'Phó Giám đốc', fullName: 'Nguyễn Văn Ánh' },
    dueDate: '2026-12-31' as DateOnly,
    toPlaces: ['Như trên', 'Lưu: VT, VP'],
    otherInfo: { priority: 1, promulgationAmount: 14, pageAmount: 2, appendixes: [] },
    responseFor: [],
    steeringType: 1,
  },
  traceHeaders: [{ organId: '000.00.13.H53' as OrganId, timestamp: new Date('2026-11-20T02:15:00Z') }],
  business: { businessDocType: 0, businessDocReason: 'Văn bản điện tử mới', paper: false, staffInfo: { department: 'Văn phòng', staff: 'Trần Thị Bình', mobile: '0912000001', email: 'binh@tayninh.gov.vn' }, replacementInfoList: [] },
  attachments,
});

async function rate(run: () => unknown | Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 1.5) {
      await run();
      n += 1;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    rates.push(n / elapsed);
  }
  return Math.round(rates.sort((a, b) => a - b)[1] as number);
}

/** Peak resident set (VmHWM) of this process in MB, from /proc (Linux). */
const peakRssMb = (): number => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);

/**
 * In a child process: parse the file streamed from disk, attachments hashed and discarded. The peak RSS
 * is reset first (`5` to /proc/self/clear_refs, Linux ≥ 4.0) so that loading tsx and transpiling the
 * sources, which peak higher than the parse itself, are not counted.
 */
async function peakChild(file: string): Promise<void> {
  const baselineRssMb = Math.round(process.memoryUsage.rss() / 1048576);
  const startupPeakMb = peakRssMb();
  writeFileSync('/proc/self/clear_refs', '5');
  const parsed = await parseEdxml(createReadStream(file, { highWaterMark: 1024 * 1024 }), { sink: { open: () => ({ write: () => undefined, close: () => undefined }) } });
  const size = parsed.kind === 'document' ? parsed.attachments[0]?.size : undefined;
  console.log(JSON.stringify({ peakMb: peakRssMb(), baselineRssMb, startupPeakMb, attachmentSize: size }));
}

function writeLargePackage(file: string, fileBytes: number): void {
  const [head, tail] = buildDocumentPackage(model([{ contentId: 'big', name: 'ho-so-50mb.pdf', contentType: 'application/zip', content: Buffer.from('x'), transferEncoding: 'raw' }]))
    .toString('utf8')
    .replace(/(<edXML:ContentTransferEncoded[^>]*>)[^<]*/, '$1@@')
    .split('@@') as [string, string];
  const zip = Buffer.from(zipSync({ 'ho-so-50mb.pdf': randomBytes(fileBytes) }, { level: 1 }));
  writeFileSync(file, head);
  for (let i = 0; i < zip.length; i += 3 * 1024 * 1024) appendFileSync(file, zip.subarray(i, i + 3 * 1024 * 1024).toString('base64'));
  appendFileSync(file, tail);
}

/** Writes the 50 MB package to a temporary file and parses it in a fresh process; returns its peak RSS in MB. */
function measurePeak(): number {
  const dir = mkdtempSync(join(tmpdir(), 'bench-edxml-'));
  try {
    const file = join(dir, 'large.edxml');
    writeLargePackage(file, 50 * 1024 * 1024);
    const child = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--peak-child', file], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`peak child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { peakMb: number; baselineRssMb: number; startupPeakMb: number; attachmentSize: number };
    console.log(`parse 50 MB attachment (${r.attachmentSize} bytes decoded, streamed from a file) in a fresh process: peak RSS ${r.peakMb} MB during the parse (RSS before it ${r.baselineRssMb} MB; start-up peak of tsx ${r.startupPeakMb} MB, not counted)`);
    const peak = r.peakMb;
    return peak;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--peak-child') return peakChild(process.argv[3] as string);
  if (process.argv[2] === '--peak-only') {
    measurePeak();
    return;
  }

  const header5kb = model([]);
  const small = buildDocumentPackage(header5kb);
  console.log(`header-only package: ${small.length} bytes`);
  const parse5kbPerSecond = await rate(() => parseEdxml(small));
  console.log(`parse 5 KB: ${parse5kbPerSecond}/s`);
  const build5kbPerSecond = await rate(() => buildDocumentPackage(header5kb));
  console.log(`build 5 KB: ${build5kbPerSecond}/s`);

  const oneMb = model([{ contentId: '1', name: 'van-ban.pdf', contentType: 'application/zip', content: randomBytes(1024 * 1024) }]);
  const medium = buildDocumentPackage(oneMb);
  console.log(`1 MB attachment package: ${medium.length} bytes`);
  const parse1mbPerSecond = await rate(() => parseEdxml(medium));
  console.log(`parse 1 MB: ${parse1mbPerSecond}/s`);
  const build1mbPerSecond = await rate(() => buildDocumentPackage(oneMb));
  console.log(`build 1 MB: ${build1mbPerSecond}/s`);

  const peakRss50MbMb = measurePeak();
  console.log(JSON.stringify({ bench: 'edxml', parse5kbPerSecond, build5kbPerSecond, parse1mbPerSecond, peakRss50MbMb }));
}

await main();
