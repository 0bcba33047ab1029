// `edoc-node sign envelope|pdf|cms` (issue 3 item 7): signs a file with a key from a PKCS#12 or an
// encrypted PEM, for administrators and interoperability tests. The passphrase is read from the
// environment variable named by --pass-env, never from the command line.
// Exit codes: 0 signed, 3 input error (arguments, files, key, passphrase, shape), 4 the TSA could not be reached.
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { CliCommand } from './command.ts';
import { parseFlags } from './command.ts';
import { isDomainError } from '../domain/errors.ts';
import { signDetachedCms } from '../pki/cms/signed-data-builder.ts';
import { keyObjectCredentials, type SigningCredentials } from '../pki/cms/signer.ts';
import { loadSigningKey } from '../pki/keys/signing-key.ts';
import { appendPadesSignature, PadesSigningError } from '../pki/pades/incremental-signer.ts';
import { PdfSyntaxError } from '../pki/pades/pdf-objects.ts';
import { cliTrustLayer } from '../pki/verify/cli-trust-setup.ts';
import { digestFile } from '../pki/verify/file-digest.ts';
import { EnvelopeSigningError, signEnvelopeParts } from '../pki/xmldsig/envelope-signer.ts';
import { XmlFormatError } from '../edxml/xml-scanner.ts';

const usage = `sign envelope|pdf|cms --key <file.p12|key.pem> [--cert <cert.pem>] [--chain <pem>...] --pass-env <VAR> --in <file> --out <file> [--no-timestamp]

  envelope  enveloped XML-DSig of an edXML package (agency certificate, RSA-SHA256, exclusive c14n)
  pdf       PAdES signature (ETSI.CAdES.detached) appended as an incremental update; run twice for
            the leader's then the agency's signature
  cms       detached CMS SignedData (DER) of any file, e.g. an attachment
The passphrase of the key is read from the environment variable named by --pass-env. PDF and CMS
signatures get a signature time-stamp from the configured TSA (the dev TSA in development mode)
unless --no-timestamp is given.
Exit codes: 0 signed, 3 input error, 4 the time-stamping authority could not be reached.`;

const inputError = (message: string): number => { console.error(`Lỗi: ${message}`); return 3; };

function writeParts(path: string, parts: readonly Buffer[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const part of parts) for (let at = 0; at < part.length;) at += writeSync(fd, part, at, part.length - at);
  } finally { closeSync(fd); }
}

export const signCommand: CliCommand = {
  words: ['sign'],
  summary: 'Sign an edXML envelope (XML-DSig), a PDF (PAdES) or any file (detached CMS)',
  usage,
  async run(args) {
    let parsed;
    try { parsed = parseFlags(args, ['no-timestamp']); } catch (e) { return inputError((e as Error).message); }
    const { flags, positionals } = parsed;
    const form = positionals[0];
    if (form !== 'envelope' && form !== 'pdf' && form !== 'cms') return inputError(`the form must be envelope, pdf or cms\n\nUsage: edoc-node ${usage}`);
    if (positionals.length > 1) return inputError(`unexpected argument ${positionals[1]}`);
    const one = (name: string): string | undefined => flags.get(name)?.[0];
    const keyFile = one('key');
    const passEnv = one('pass-env');
    const input = one('in');
    const output = one('out');
    if (!keyFile || !passEnv || !input || !output) return inputError('--key, --pass-env, --in and --out are required');
    const passphrase = process.env[passEnv];
    if (passphrase === undefined) return inputError(`the environment variable ${passEnv} is not set`);

    let credentials: SigningCredentials;
    try {
      const certFile = one('cert');
      const material = loadSigningKey({
        key: readFileSync(keyFile), passphrase,
        ...(certFile ? { certificate: readFileSync(certFile) } : {}),
        chain: (flags.get('chain') ?? []).map((f) => readFileSync(f)),
      });
      credentials = keyObjectCredentials(material.privateKey, material.certificate, material.chain);
    } catch (error) {
      if (isDomainError(error)) return inputError(`${error.messageVi} ${error.details.map((d) => d.message).join('; ')}`);
      return inputError((error as Error).message);
    }

    const timestamp = form !== 'envelope' && !flags.has('no-timestamp');
    try {
      const tsa = timestamp ? cliTrustLayer().tsa : undefined;
      let signed: Buffer | readonly Buffer[];
      if (form === 'envelope') signed = await signEnvelopeParts(readFileSync(input), credentials); // written without a joined copy
      else if (form === 'pdf') signed = await appendPadesSignature(readFileSync(input), { credentials, ...(tsa ? { tsa } : {}) });
      else {
        statSync(input);
        signed = await signDetachedCms({ contentSha256: await digestFile(input, 'sha256'), credentials, signingTime: new Date(), ...(tsa ? { tsa } : {}) });
      }
      writeParts(output, Buffer.isBuffer(signed) ? [signed] : signed);
      console.log(`Đã ký ${form === 'envelope' ? 'gói tin edXML' : form === 'pdf' ? 'văn bản PDF' : 'tệp (CMS ký rời)'}: ${output}${timestamp ? ' (có dấu thời gian)' : ''}`);
      return 0;
    } catch (error) {
      if (isDomainError(error) && error.kind === 'unavailable') { console.error(`Lỗi: ${error.messageVi}`); return 4; }
      if (isDomainError(error)) return inputError(`${error.messageVi} ${error.details.map((d) => d.message).join('; ')}`);
      if (error instanceof EnvelopeSigningError || error instanceof XmlFormatError || error instanceof PadesSigningError || error instanceof PdfSyntaxError) return inputError(error.message);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return inputError((error as Error).message);
      throw error;
    }
  },
};
