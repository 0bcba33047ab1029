// A throwaway PKI made with the openssl CLI in a temporary directory, for the signature tests: a root, an
// issuing CA, two organisational certificates, a personal one, a TSA, an expired and a wrong-key-usage
// leaf, and a certificate from an untrusted root. Independent of our own code, so interop is honest.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly der: Buffer;
  readonly key: KeyObject;
  readonly x509: X509Certificate;
}

export interface ThrowawayPki {
  readonly dir: string;
  readonly root: Issued;
  readonly ca: Issued;
  readonly org: Issued; // organ id 000.00.00.G22
  readonly otherOrg: Issued; // organ id 000.00.00.H53
  readonly person: Issued;
  readonly tsa: Issued;
  readonly expired: Issued;
  readonly wrongUsage: Issued;
  readonly strangerRoot: Issued;
  readonly stranger: Issued;
  /** root + ca PEM bundle path (a CAfile for openssl). */
  readonly caFile: string;
  readonly rootFile: string;
}

const openssl = (args: string[], cwd: string): Buffer => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

export function createThrowawayPki(): ThrowawayPki {
  const dir = mkdtempSync(join(tmpdir(), 'edoc-sig-pki-'));
  writeFileSync(join(dir, 'ext.cnf'), [
    '[ca]', 'basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash',
    '[org]', 'basicConstraints=critical,CA:false', 'keyUsage=critical,digitalSignature,nonRepudiation', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
    '[tsa]', 'basicConstraints=critical,CA:false', 'keyUsage=critical,digitalSignature,nonRepudiation', 'extendedKeyUsage=critical,timeStamping', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
    '[bad]', 'basicConstraints=critical,CA:false', 'keyUsage=critical,keyEncipherment', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
    '',
  ].join('\n'));
  let serial = 100;
  const issue = (name: string, subject: string, issuer: Issued | null, ext: string, days: [string, string] | null = null): Issued => {
    const keyPath = `${name}.key`;
    const certPath = `${name}.pem`;
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath], dir);
    if (!issuer) {
      openssl(['req', '-new', '-x509', '-key', keyPath, '-subj', subject, '-utf8', '-days', '3650', '-sha256', '-extensions', ext, '-config', 'ext.cnf', '-set_serial', String(serial += 1), '-out', certPath], dir);
    } else {
      openssl(['req', '-new', '-key', keyPath, '-subj', subject, '-utf8', '-out', `${name}.csr`], dir);
      const validity = days ? ['-not_before', days[0], '-not_after', days[1]] : ['-days', '825'];
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(serial += 1), '-sha256', '-extfile', 'ext.cnf', '-extensions', ext, ...validity, '-out', certPath], dir);
    }
    const pem = readFileSync(join(dir, certPath));
    const x509 = new X509Certificate(pem);
    return { name, certPath: join(dir, certPath), keyPath: join(dir, keyPath), der: x509.raw, key: createPrivateKey(readFileSync(join(dir, keyPath))), x509 };
  };
  const root = issue('root', '/C=VN/O=Ban Co yeu Chinh phu/CN=DEV Test Root', null, 'ca');
  const ca = issue('ca', '/C=VN/O=Ban Co yeu Chinh phu/CN=DEV Test Issuing CA', root, 'ca');
  const org = issue('org', '/C=VN/L=Hà Nội/O=Chính phủ/CN=Văn phòng Chính phủ/UID=000.00.00.G22', ca, 'org');
  const otherOrg = issue('other-org', '/C=VN/L=Tây Ninh/O=UBND tỉnh Tây Ninh/CN=Ủy ban nhân dân tỉnh Tây Ninh/UID=000.00.00.H53', ca, 'org');
  const person = issue('person', '/C=VN/O=Văn phòng Chính phủ/OU=Lãnh đạo Văn phòng/CN=Nguyễn Văn An', ca, 'org');
  const tsa = issue('tsa', '/C=VN/O=Ban Co yeu Chinh phu/CN=DEV Test TSA', ca, 'tsa');
  const wrongUsage = issue('wrong-usage', '/C=VN/O=Test/CN=Wrong key usage', ca, 'bad');
  const expired = issueExpired();
  const strangerRoot = issue('stranger-root', '/C=VN/O=Attacker/CN=Untrusted Root', null, 'ca');
  const stranger = issue('stranger', '/C=VN/O=Attacker/CN=Văn phòng Chính phủ', strangerRoot, 'org');
  const caFile = join(dir, 'cafile.pem');
  writeFileSync(caFile, Buffer.concat([readFileSync(root.certPath), readFileSync(ca.certPath)]));
  writeFileSync(join(dir, 'tsa.cnf'), [
    '[tsa]', 'default_tsa=tsa_config', '[tsa_config]', `dir=${dir}`, 'serial=$dir/tsaserial', `signer_cert=${tsa.certPath}`, `certs=${ca.certPath}`,
    `signer_key=${tsa.keyPath}`, 'signer_digest=sha256', 'default_policy=1.2.3.4.1', 'digests=sha256,sha384,sha512', 'accuracy=secs:1',
    'ordering=yes', 'tsa_name=no', 'ess_cert_id_chain=no', 'ess_cert_id_alg=sha256', '',
  ].join('\n'));
  writeFileSync(join(dir, 'tsaserial'), '01\n');
  return { dir, root, ca, org, otherOrg, person, tsa, expired, wrongUsage, strangerRoot, stranger, caFile, rootFile: root.certPath };

  function issueExpired(): Issued {
    // `openssl x509 -req` in OpenSSL 3.0 cannot back-date; `openssl ca` can (-startdate/-enddate).
    writeFileSync(join(dir, 'ca.cnf'), [
      '[ca]', 'default_ca=dev', '[dev]', `dir=${dir}`, 'database=$dir/index.txt', 'new_certs_dir=$dir', 'serial=$dir/caserial',
      'default_md=sha256', 'policy=any', 'unique_subject=no', 'copy_extensions=none', '[any]', 'commonName=supplied', '',
    ].join('\n'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'caserial'), '1000\n');
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'expired.key'], dir);
    openssl(['req', '-new', '-key', 'expired.key', '-subj', '/C=VN/O=Test/CN=Expired signer', '-out', 'expired.csr'], dir);
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', ca.certPath, '-keyfile', ca.keyPath, '-in', 'expired.csr', '-out', 'expired.pem', '-notext',
      '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-extfile', 'ext.cnf', '-extensions', 'org'], dir);
    const x509 = new X509Certificate(readFileSync(join(dir, 'expired.pem')));
    return { name: 'expired', certPath: join(dir, 'expired.pem'), keyPath: join(dir, 'expired.key'), der: x509.raw, key: createPrivateKey(readFileSync(join(dir, 'expired.key'))), x509 };
  }
}
