import type { NameAttribute } from '../certificates/distinguished-name.ts';
import type { KeyUsage } from '../certificates/parsed-certificate.ts';
import { oid } from '../certificates/oids.ts';
import { demoNetwork, demoUsername, type DemoAgency } from '../../domain/demo-network.ts';
import type { CrlReason } from './crl-issuer.ts';

// What `edoc-node pki generate-dev` produces: a hierarchy in the image of the government PKI
// (DOMAIN.md §7), one organisational certificate per demo agency, one personal certificate per leader,
// and the deliberately bad certificates the negative tests need. Dates are fixed so that the committed
// set keeps working for years (the bad ones excepted, on purpose).

/** Where the dev trust services listen by default (`edoc-node pki serve`); baked into AIA and CDP. */
export const devServicesBaseUrl = 'http://127.0.0.1:8790';

export type DevRole =
  | 'root-ca' | 'issuing-ca' | 'tsa' | 'ocsp-responder' | 'directory-signer' | 'organisation' | 'personal'
  | 'revoked' | 'expired' | 'not-yet-valid' | 'wrong-key-usage' | 'untrusted-root-ca' | 'untrusted';

export interface DevEntity {
  readonly id: string; // stable: root, issuing-ca, tsa, ocsp, org:<organId>, person:<username>, bad:<kind>
  readonly role: DevRole;
  /** File stem under certs-dev/, e.g. `agencies/000.00.00.G22/organisation`. */
  readonly path: string;
  readonly issuerId: string | null; // null: self-signed
  readonly subject: readonly NameAttribute[];
  readonly keyBits: 2048 | 4096;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca?: { readonly pathLength?: number };
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  readonly ocspNoCheck?: boolean;
  readonly withRevocationPointers: boolean;
  readonly organId?: string;
  readonly username?: string;
  readonly revocation?: { readonly revokedAt: Date; readonly reason: CrlReason };
  /** What a validator must say about it (documentation and tests). */
  readonly expectation: string;
}

const d = (iso: string): Date => new Date(iso);
const caIssuer = 'Ban Cơ yếu Chính phủ';
const longLived = { notBefore: d('2025-01-01T00:00:00Z'), notAfter: d('2045-12-31T23:59:59Z') };
const signing: readonly KeyUsage[] = ['digitalSignature', 'nonRepudiation'];

function agencyEntities(agency: DemoAgency): DevEntity[] {
  const org: DevEntity = {
    id: `org:${agency.organId}`, role: 'organisation', path: `agencies/${agency.organId}/organisation`, issuerId: 'issuing-ca',
    subject: [['CN', agency.name], ['UID', agency.organId], ['O', agency.parentBody], ['L', agency.province], ['C', 'VN']],
    keyBits: 2048, ...longLived, keyUsage: signing, withRevocationPointers: true, organId: agency.organId,
    username: demoUsername('van_thu', agency.organId), expectation: 'TOTAL_PASSED (organisation-signing)',
  };
  const leaders = agency.people.filter((p) => p.role === 'lanh_dao').map((person): DevEntity => {
    const unit = agency.units.find((u) => u.code === person.unitCode);
    const username = demoUsername('lanh_dao', agency.organId);
    return {
      id: `person:${username}`, role: 'personal', path: `agencies/${agency.organId}/lanhdao`, issuerId: 'issuing-ca',
      subject: [['CN', person.fullName], ['OU', unit?.name ?? person.unitCode], ['O', agency.name], ['C', 'VN']],
      keyBits: 2048, ...longLived, keyUsage: signing, withRevocationPointers: true, organId: agency.organId, username,
      expectation: 'TOTAL_PASSED (personal-signing)',
    };
  });
  return [org, ...leaders];
}

const badSubject = (cn: string): NameAttribute[] => [['CN', cn], ['OU', 'Phòng Kiểm thử'], ['O', 'Văn phòng Chính phủ'], ['C', 'VN']];

export function devPkiPlan(): DevEntity[] {
  return [
    {
      id: 'root', role: 'root-ca', path: 'ca/root', issuerId: null,
      subject: [['CN', 'DEV RootCA chuyên dùng Chính phủ G2'], ['O', caIssuer], ['C', 'VN']], keyBits: 4096,
      notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2054-12-31T23:59:59Z'), ca: {}, keyUsage: ['keyCertSign', 'cRLSign'],
      withRevocationPointers: false, expectation: 'trust anchor (dev)',
    },
    {
      id: 'issuing-ca', role: 'issuing-ca', path: 'ca/issuing-ca', issuerId: 'root',
      subject: [['CN', 'DEV CA phục vụ các cơ quan Nhà nước G2'], ['O', caIssuer], ['C', 'VN']], keyBits: 2048,
      notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2049-12-31T23:59:59Z'), ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'],
      withRevocationPointers: true, expectation: 'allowed intermediate (dev)',
    },
    {
      id: 'tsa', role: 'tsa', path: 'services/tsa', issuerId: 'issuing-ca',
      subject: [['CN', 'DEV TSA chuyên dùng Chính phủ'], ['O', caIssuer], ['C', 'VN']], keyBits: 2048, ...longLived,
      keyUsage: signing, extendedKeyUsage: { purposes: [oid.kpTimeStamping], critical: true }, // RFC 3161 §2.3
      withRevocationPointers: true, expectation: 'TOTAL_PASSED (timestamping)',
    },
    {
      id: 'ocsp', role: 'ocsp-responder', path: 'services/ocsp', issuerId: 'issuing-ca',
      subject: [['CN', 'DEV OCSP chuyên dùng Chính phủ'], ['O', caIssuer], ['C', 'VN']], keyBits: 2048, ...longLived,
      keyUsage: ['digitalSignature'], extendedKeyUsage: { purposes: [oid.kpOcspSigning], critical: false }, ocspNoCheck: true, // RFC 6960 §4.2.2.2
      withRevocationPointers: false, expectation: 'TOTAL_PASSED (ocsp-signing)',
    },
    {
      // Signs the agency directory distributed over the axis (src/services/directory-service.ts).
      id: 'directory', role: 'directory-signer', path: 'directory/directory', issuerId: 'issuing-ca',
      subject: [['CN', 'DEV Danh bạ Trục liên thông văn bản quốc gia'], ['O', 'Văn phòng Chính phủ'], ['C', 'VN']], keyBits: 2048, ...longLived,
      keyUsage: signing, withRevocationPointers: true, expectation: 'TOTAL_PASSED (organisation-signing): the directory signer',
    },
    ...demoNetwork.flatMap(agencyEntities),
    {
      id: 'bad:revoked', role: 'revoked', path: 'bad/revoked', issuerId: 'issuing-ca', subject: badSubject('DEV Chứng thư bị thu hồi'),
      keyBits: 2048, ...longLived, keyUsage: signing, withRevocationPointers: true,
      revocation: { revokedAt: d('2026-03-01T00:00:00Z'), reason: 'keyCompromise' },
      expectation: 'TOTAL_PASSED before 2026-03-01T00:00:00Z, TOTAL_FAILED/REVOKED at or after it',
    },
    {
      id: 'bad:expired', role: 'expired', path: 'bad/expired', issuerId: 'issuing-ca', subject: badSubject('DEV Chứng thư hết hạn'),
      keyBits: 2048, notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2024-12-31T23:59:59Z'), keyUsage: signing, withRevocationPointers: true,
      expectation: 'INDETERMINATE/EXPIRED after 2024-12-31',
    },
    {
      id: 'bad:not-yet-valid', role: 'not-yet-valid', path: 'bad/not-yet-valid', issuerId: 'issuing-ca', subject: badSubject('DEV Chứng thư chưa có hiệu lực'),
      keyBits: 2048, notBefore: d('2045-01-01T00:00:00Z'), notAfter: d('2045-12-31T23:59:59Z'), keyUsage: signing, withRevocationPointers: true,
      expectation: 'TOTAL_FAILED/NOT_YET_VALID before 2045-01-01',
    },
    {
      id: 'bad:wrong-key-usage', role: 'wrong-key-usage', path: 'bad/wrong-key-usage', issuerId: 'issuing-ca', subject: badSubject('DEV Chứng thư sai mục đích sử dụng'),
      keyBits: 2048, ...longLived, keyUsage: ['keyEncipherment'], extendedKeyUsage: { purposes: [oid.kpServerAuth], critical: false }, withRevocationPointers: true,
      expectation: 'INDETERMINATE/CHAIN_CONSTRAINTS_FAILURE for any signing purpose',
    },
    {
      id: 'bad:untrusted-root', role: 'untrusted-root-ca', path: 'bad/untrusted-root', issuerId: null,
      subject: [['CN', 'DEV Untrusted Root CA (không tin cậy)'], ['O', 'Tổ chức không được công nhận'], ['C', 'VN']], keyBits: 2048,
      notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2049-12-31T23:59:59Z'), ca: {}, keyUsage: ['keyCertSign', 'cRLSign'],
      withRevocationPointers: false, expectation: 'not a trust anchor',
    },
    {
      id: 'bad:untrusted', role: 'untrusted', path: 'bad/untrusted', issuerId: 'bad:untrusted-root', subject: badSubject('DEV Chứng thư từ CA không tin cậy'),
      keyBits: 2048, ...longLived, keyUsage: signing, withRevocationPointers: false,
      expectation: 'INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND',
    },
  ];
}
