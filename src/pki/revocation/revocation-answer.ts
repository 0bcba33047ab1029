import type { RevocationEvidence } from '../../domain/validation-report.ts';

/** A verified OCSP or CRL answer about one certificate (its signature and issuer already checked). */
export interface RevocationAnswer {
  readonly kind: 'OCSP' | 'CRL';
  readonly status: 'good' | 'revoked' | 'unknown';
  /** When the status was known correct: OCSP thisUpdate, CRL thisUpdate (RFC 6960 §2.4, RFC 5280 §5.1.2.4). */
  readonly thisUpdate: Date;
  readonly producedAt: Date;
  readonly nextUpdate?: Date;
  readonly revokedAt?: Date;
  readonly der: Uint8Array;
  readonly source: string; // 'stored', 'given CRL', a URL
}

export function toEvidence(answer: RevocationAnswer, certificateSha256: string): RevocationEvidence {
  return {
    kind: answer.kind,
    certificateSha256,
    producedAt: answer.producedAt.toISOString(),
    ...(answer.nextUpdate ? { nextUpdate: answer.nextUpdate.toISOString() } : {}),
    status: answer.status,
    ...(answer.revokedAt ? { revokedAt: answer.revokedAt.toISOString() } : {}),
    der: Buffer.from(answer.der).toString('base64'),
  };
}
