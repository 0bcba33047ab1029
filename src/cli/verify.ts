// `edoc-node verify <file>` (issue 3 item 7): verifies an edXML envelope, a signed PDF or a detached CMS
// and prints a Vietnamese summary line per signature (the full ETSI EN 319 102-1 report with --json).
// Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE (every signature counts: the worst wins),
// 3 input error.
import { readFileSync, statSync } from 'node:fs';
import type { CliCommand } from './command.ts';
import { parseFlags } from './command.ts';
import type { Indication, RevocationEvidence, SignatureValidationReport } from '../domain/validation-report.ts';
import { isDomainError } from '../domain/errors.ts';
import { derObjects } from '../pki/certificates/pem.ts';
import { cliTrustLayer } from '../pki/verify/cli-trust-setup.ts';
import { digestFile } from '../pki/verify/file-digest.ts';
import { detectForm } from '../pki/verify/form-detection.ts';
import { parseDirectoryFile } from '../pki/verify/organisation-directory.ts';
import { summaryLineVi } from '../pki/verify/report-messages.ts';
import { SignatureVerifier } from '../pki/verify/signature-verifier.ts';

const usage = `verify <file> [--content <file>] [--trust <pem>...] [--crl <file>...] [--directory <file>] [--at <ISO time>] [--evidence <report.json>] [--json]

  <file>       an edXML package (XML-DSig envelope), a signed PDF (PAdES), or a detached CMS (DER or PEM)
  --content    the signed file, for a detached CMS
  --trust      trust anchors (PEM or DER) replacing the configured trust list
  --crl        CRLs (PEM or DER) to use for revocation, besides OCSP and the distribution points
  --directory  agencies directory (JSON {"agencies":[{"organId","certificateSha256":[…]}]}): checks that
               the envelope's signer is the sending agency (From/OrganId); without it: "not checked"
  --at         validation time (default now): with a time-stamp, the signature is judged at its time
  --evidence   a report printed earlier with --json: its revocation answers are used (long-term validation)
  --json       print the full validation report(s) as JSON
Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 input error.`;

const inputError = (message: string): number => { console.error(`Lỗi: ${message}`); return 3; };
const rank: Readonly<Record<Indication, number>> = { TOTAL_PASSED: 0, INDETERMINATE: 1, TOTAL_FAILED: 2 };
const exitCode: Readonly<Record<Indication, number>> = { TOTAL_PASSED: 0, TOTAL_FAILED: 1, INDETERMINATE: 2 };

export function overallIndication(reports: readonly SignatureValidationReport[]): Indication {
  return reports.reduce<Indication>((worst, r) => (rank[r.indication] > rank[worst] ? r.indication : worst), 'TOTAL_PASSED');
}

function storedEvidence(file: string): RevocationEvidence[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { reports?: SignatureValidationReport[] } | SignatureValidationReport;
  const reports = 'reports' in data && Array.isArray(data.reports) ? data.reports : [data as SignatureValidationReport];
  return reports.flatMap((r) => r.evidence?.revocation ?? []);
}

export const verifyCommand: CliCommand = {
  words: ['verify'],
  summary: 'Verify a signed edXML package, PDF or detached CMS (ETSI validation report)',
  usage,
  async run(args) {
    let parsed;
    try { parsed = parseFlags(args, ['json']); } catch (e) { return inputError((e as Error).message); }
    const { flags, positionals } = parsed;
    if (positionals.length !== 1) return inputError(`one file to verify is expected\n\nUsage: edoc-node ${usage}`);
    const file = positionals[0] as string;
    const many = (name: string): string[] => flags.get(name) ?? [];
    const one = (name: string): string | undefined => flags.get(name)?.[0];
    let bytes: Buffer;
    let verifier: SignatureVerifier;
    try {
      bytes = readFileSync(file);
      const at = one('at');
      const validationTime = at !== undefined ? new Date(at) : undefined;
      if (validationTime && Number.isNaN(validationTime.getTime())) return inputError(`--at ${at} is not an ISO 8601 time`);
      const trustAnchors = many('trust').flatMap((f) => derObjects(readFileSync(f), 'CERTIFICATE'));
      if (many('trust').length > 0 && trustAnchors.length === 0) return inputError('--trust files hold no certificate');
      const extraCrls = many('crl').flatMap((f) => derObjects(readFileSync(f), 'X509 CRL'));
      const directoryFile = one('directory');
      const evidenceFile = one('evidence');
      const layer = cliTrustLayer({ trustAnchors, ...(validationTime ? { clock: () => validationTime } : {}) });
      verifier = new SignatureVerifier({
        pathValidator: layer.paths, timeStampVerifier: layer.timestamps,
        ...(directoryFile ? { directory: parseDirectoryFile(readFileSync(directoryFile, 'utf8')) } : {}),
        ...(validationTime ? { validationTime } : {}),
        ...(extraCrls.length > 0 ? { extraCrls } : {}),
        ...(evidenceFile ? { storedRevocation: storedEvidence(evidenceFile) } : {}),
      });
    } catch (error) {
      const details = isDomainError(error) ? ` ${error.details.map((d) => `${d.field ?? ''}: ${d.message}`).join('; ')}` : '';
      return inputError(`${(error as Error).message}${details}`);
    }

    const detected = detectForm(bytes);
    let reports: SignatureValidationReport[];
    if (detected.form === 'pdf') reports = await verifier.verifyPdf(bytes);
    else if (detected.form === 'xml') reports = [await verifier.verifyEnvelope(bytes)];
    else if (detected.form === 'cms') {
      const content = one('content');
      if (!content) return inputError('a detached CMS needs --content <the signed file>');
      try { statSync(content); } catch (error) { return inputError((error as Error).message); }
      reports = [await verifier.verifyDetachedCms(detected.der, (alg) => digestFile(content, alg))];
    } else return inputError('unrecognised file: not XML, PDF or CMS (DER/PEM)');

    const indication = overallIndication(reports);
    if (flags.has('json')) console.log(JSON.stringify({ file, indication, reports }, null, 2));
    else reports.forEach((r, i) => console.log(summaryLineVi(r, reports.length > 1 ? i : undefined)));
    return exitCode[indication];
  },
};
