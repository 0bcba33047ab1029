// `edoc-node edxml parse <file> [--json]` and `edoc-node edxml build --from <json> --out <file>`.
// Exit codes: 0 done; 3 the package (or the JSON) is invalid, the catalogue code is printed; 2 usage or
// file-system error.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { edxmlPriorityLabels, businessDocTypeLabels, statusCodeLabels } from '../domain/edxml-codes.ts';
import { isDomainError } from '../domain/errors.ts';
import type { AttachmentSink } from '../edxml/attachment-decoder.ts';
import type { ParsedEdxml } from '../edxml/model.ts';
import { buildDocumentPackage, buildStatusMessage } from '../edxml/package-builder.ts';
import { packageFromJson, parsedToJson } from '../edxml/package-json.ts';
import { parseEdxml } from '../edxml/parse-package.ts';
import { parseFlags, type CliCommand } from './command.ts';

/** Attachments are only measured and hashed by the parser; the CLI keeps none of them in memory. */
const discardingSink: () => AttachmentSink = () => ({ open: () => ({ write: () => undefined, close: () => undefined }) });

function reportError(e: unknown): number {
  if (isDomainError(e)) {
    console.error(`${e.code}: ${e.messageVi} / ${e.message}`);
    for (const d of e.details) console.error(`  ${d.field ? `${d.field}: ` : ''}${d.message}`);
    return 3;
  }
  console.error((e as Error).message);
  return 2;
}

function summary(p: ParsedEdxml): string {
  const lines: string[] = [];
  if (p.kind === 'status') {
    const s = p.status;
    lines.push(`status ${s.statusCode} (${statusCodeLabels[s.statusCode]}) from ${s.from.organId} at ${s.timestamp.toISOString()}`);
    lines.push(`about ${s.responseFor.documentId} (${s.responseFor.code ?? '?'}) of ${s.responseFor.organId}`);
    if (s.description) lines.push(`description: ${s.description}`);
  } else {
    const h = p.header;
    lines.push(`document ${h.code.codeNumber}/${h.code.codeNotation} of ${h.promulgationInfo.promulgationDate}, ${h.documentType.typeName ?? `type ${h.documentType.type}`}`);
    lines.push(`from ${h.from.organId} (${h.from.organName ?? ''}) to ${h.to.map((t) => t.organId).join(', ')}`);
    lines.push(`DocumentId ${h.documentId}`);
    lines.push(`subject: ${h.subject}`);
    if (h.otherInfo?.priority !== undefined) lines.push(`priority: ${edxmlPriorityLabels[h.otherInfo.priority]}`);
    if (p.business) lines.push(`business: ${businessDocTypeLabels[p.business.businessDocType]} (${p.business.businessDocType})`);
    for (const a of p.attachments) lines.push(`attachment ${a.contentId}: ${a.name}, ${a.size} bytes (${a.transferEncoding}), sha256 ${a.sha256}`);
  }
  lines.push(`envelope signature: ${p.signature}`);
  for (const w of p.warnings) lines.push(`warning ${w.code}${w.field ? ` at ${w.field}` : ''}: ${w.message}`);
  return lines.join('\n');
}

const parseCommand: CliCommand = {
  words: ['edxml', 'parse'],
  summary: 'Parse an edXML package or status message, print the model and the conformance warnings',
  usage: 'edxml parse <file> [--json]   (exit 0 valid, 3 invalid with the error code, 2 usage/file error)',
  async run(args) {
    try {
      const { flags, positionals } = parseFlags(args, ['json']);
      const file = positionals[0];
      if (!file) throw new Error(`usage: edoc-node ${this.usage}`);
      const parsed = await parseEdxml(createReadStream(file), { sink: discardingSink() });
      console.log(flags.has('json') ? JSON.stringify(parsedToJson(parsed), null, 2) : summary(parsed));
      return 0;
    } catch (e) {
      return reportError(e);
    }
  },
};

const buildCommand: CliCommand = {
  words: ['edxml', 'build'],
  summary: 'Build an edXML package or status message from its JSON form',
  usage: 'edxml build --from <json> --out <file>   (attachments by "base64" or "path" relative to the JSON file)',
  async run(args) {
    try {
      const { flags } = parseFlags(args);
      const from = flags.get('from')?.[0];
      const out = flags.get('out')?.[0];
      if (!from || !out) throw new Error(`usage: edoc-node ${this.usage}`);
      const request = packageFromJson(JSON.parse(readFileSync(from, 'utf8')), (p) => readFileSync(resolve(dirname(from), p)));
      const bytes = request.kind === 'status' ? buildStatusMessage(request.status) : buildDocumentPackage(request.package);
      writeFileSync(out, bytes);
      console.log(`${out}: ${bytes.length} bytes`);
      return 0;
    } catch (e) {
      return reportError(e);
    }
  },
};

export const edxmlCommands: readonly CliCommand[] = [parseCommand, buildCommand];
