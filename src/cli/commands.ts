import type { CliCommand } from './command.ts';
import { auditVerifyCommand, migrateCommand, seedDemoCommand, startCommand } from './node.ts';
import { edxmlCommands } from './edxml.ts';
import { axisCommands } from './axis.ts';
import { blobsSweepCommand, blobsWriteOutCommand } from './blobs.ts';
import { pkiCommands } from './pki.ts';
import { signCommand } from './sign.ts';
import { verifyCommand } from './verify.ts';

// Every CLI command, in the order `edoc-node --help` lists them.
export const commands: readonly CliCommand[] = [startCommand, migrateCommand, seedDemoCommand, auditVerifyCommand, ...edxmlCommands, ...pkiCommands, signCommand, verifyCommand, ...axisCommands, blobsSweepCommand, blobsWriteOutCommand];
