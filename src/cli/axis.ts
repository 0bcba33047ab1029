// `edoc-node axis sign-directory` and `edoc-node axis publish-directory` (issue 5 item 2): the axis
// operator signs the directory of agencies with the directory key and publishes it over the axis to
// every agency it lists; each node verifies it against the pinned directory certificate and installs it
// if newer. Exit codes: 0 done, 2 configuration invalid, 3 input error (file, key, directory refused),
// 4 the axis cannot be reached.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createNodeApp } from '../app.ts';
import type { DirectoryBody } from '../domain/directory.ts';
import { isDomainError } from '../domain/errors.ts';
import { signDirectory } from '../services/directory-service.ts';
import { parseFlags, type CliCommand } from './command.ts';
import { deadLettersCommand, redriveCommand } from './dead-letters.ts';
import { loadConfigOrReport } from './node-config.ts';

const one = (flags: Map<string, string[]>, name: string): string | undefined => flags.get(name)?.at(-1);

export const signDirectoryCommand: CliCommand = {
  words: ['axis', 'sign-directory'],
  summary: 'sign a directory of agencies (JSON body) with the directory key, for publish-directory',
  usage: 'axis sign-directory --body <body.json> --key <key.pem> --cert <cert.pem> [--pass-env VAR] --out <signed.json>',
  async run(args) {
    const { flags } = parseFlags(args);
    const [body, key, cert, out] = ['body', 'key', 'cert', 'out'].map((n) => one(flags, n));
    if (!body || !key || !cert || !out) { console.error(`usage: edoc-node ${this.usage}`); return 3; }
    try {
      const passEnv = one(flags, 'pass-env');
      const passphrase = passEnv ? process.env[passEnv] : undefined;
      const privateKey = createPrivateKey({ key: readFileSync(key), format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
      const signed = signDirectory(JSON.parse(readFileSync(body, 'utf8')) as DirectoryBody, privateKey, new X509Certificate(readFileSync(cert)).raw);
      writeFileSync(out, `${JSON.stringify(signed, null, 2)}\n`);
      const parsed = JSON.parse(signed.body) as DirectoryBody;
      console.log(`Đã ký danh bạ phiên bản ${parsed.version} (${parsed.agencies.length} cơ quan, hiệu lực đến ${parsed.validUntil}) → ${out}`);
      return 0;
    } catch (error) {
      console.error(`Không ký được danh bạ — cannot sign the directory: ${(error as Error).message}`);
      return 3;
    }
  },
};

export const publishDirectoryCommand: CliCommand = {
  words: ['axis', 'publish-directory'],
  summary: 'verify a signed directory, install it on this node and publish it over the axis to every agency it lists',
  usage: 'axis publish-directory --file <signed.json>   (AXIS_URL, DATABASE_URL as for start)',
  async run(args) {
    const { flags } = parseFlags(args);
    const file = one(flags, 'file');
    if (!file) { console.error(`usage: edoc-node ${this.usage}`); return 3; }
    const config = loadConfigOrReport();
    if (!config) return 2;
    let signed: unknown;
    try { signed = JSON.parse(readFileSync(file, 'utf8')); } catch (error) { console.error(`cannot read ${file}: ${(error as Error).message}`); return 3; }
    const app = await createNodeApp(config);
    try {
      await app.migrate();
      await app.exchange.start();
      const count = await app.exchange.publishDirectory(signed as never);
      console.log(`Đã phát hành danh bạ tới ${count} cơ quan — directory published to ${count} agencies`);
      return 0;
    } catch (error) {
      if (isDomainError(error)) {
        console.error(`${error.messageVi} — ${error.message}${error.details.length ? ` (${error.details.map((d) => d.message).join('; ')})` : ''}`);
        return error.kind === 'unavailable' ? 4 : 3;
      }
      throw error;
    } finally { await app.close(); }
  },
};

export const axisCommands: readonly CliCommand[] = [signDirectoryCommand, publishDirectoryCommand, deadLettersCommand, redriveCommand];
