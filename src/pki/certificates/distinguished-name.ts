import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { oid } from './oids.ts';

// Distinguished names (RFC 5280 §4.1.2.4) for the certificates the dev PKI issues, written most specific
// first as DOMAIN.md §7 writes them: `CN=…, OU=…, O=…, L=…, C=VN` (parsed-certificate.ts prints them back).

const shortNames: Record<string, string> = {
  [oid.commonName]: 'CN', [oid.organizationalUnitName]: 'OU', [oid.organizationName]: 'O', [oid.localityName]: 'L',
  [oid.stateOrProvinceName]: 'ST', [oid.countryName]: 'C', [oid.userId]: 'UID', [oid.serialNumber]: 'SERIALNUMBER',
};
const byShortName = Object.fromEntries(Object.entries(shortNames).map(([k, v]) => [v, k])) as Record<string, string>;

export type NameAttribute = readonly [shortName: 'CN' | 'OU' | 'O' | 'L' | 'ST' | 'C' | 'UID' | 'SERIALNUMBER', value: string];

/** Builds a name from attributes written most specific first. Country is a PrintableString (X.520), the rest UTF8String (RFC 5280 §4.1.2.6). */
export function buildName(attributes: readonly NameAttribute[]): pkijs.RelativeDistinguishedNames {
  // One attribute per RDN (a SET each), least specific first in the encoding (RFC 5280 §4.1.2.4).
  const rdns = [...attributes].reverse().map(([short, value]) => new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({
    type: byShortName[short] as string,
    value: short === 'C' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
  }).toSchema()] }));
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}
