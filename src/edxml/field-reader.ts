// Reading typed values out of envelope elements, with the catalogue error naming the field
// (`edxml.missing_field`, `edxml.invalid_field`) and a conformance warning where a tolerated deviation
// was met (a repeated single element, a date in ISO form, an organ id outside the QCVN 102 form).
import { DomainError } from '../domain/errors.ts';
import { isQcvn102OrganId, isValidOrganId, type OrganId } from '../domain/organ-id.ts';
import { readEdxmlDate, readEdxmlTimestamp, type DateOnly } from './edxml-dates.ts';
import { qcvnChildren, textOf, type Element } from './envelope-dom.ts';
import type { ConformanceWarning } from './model.ts';

export const missing = (field: string): DomainError =>
  new DomainError('edxml.missing_field', { message: `A required edXML element is missing: ${field}`, details: [{ field, message: `${field} is required` }] });

export const invalid = (field: string, message: string): DomainError =>
  new DomainError('edxml.invalid_field', { message: `An edXML element has an invalid value: ${field}`, details: [{ field, message }] });

export class FieldReader {
  readonly warnings: ConformanceWarning[] = [];

  warn(code: string, message: string, field?: string): void {
    this.warnings.push({ code, message, ...(field === undefined ? {} : { field }) });
  }

  /** The single child with this name; a repeated one is tolerated (first wins) with a warning. */
  child(parent: Element, name: string, path: string): Element | undefined {
    const found = qcvnChildren(parent, name);
    if (found.length > 1) this.warn('repeated_element', `${name} appears ${found.length} times; the first is used`, `${path}/${name}`);
    return found[0];
  }

  requiredChild(parent: Element, name: string, path: string): Element {
    const el = this.child(parent, name, path);
    if (!el) throw missing(`${path}/${name}`);
    return el;
  }

  text(parent: Element, name: string, path: string): string | undefined {
    return textOf(this.child(parent, name, path));
  }

  requiredText(parent: Element, name: string, path: string): string {
    const value = this.text(parent, name, path);
    if (value === undefined) throw missing(`${path}/${name}`);
    return value;
  }

  integer(parent: Element, name: string, path: string): number | undefined {
    const value = this.text(parent, name, path);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,9}$/.test(value)) throw invalid(`${path}/${name}`, `not an integer: ${JSON.stringify(value)}`);
    return Number(value);
  }

  /** `0`/`1` (and `false`/`true`, as some vendors write) → boolean. */
  flag(parent: Element, name: string, path: string): boolean | undefined {
    const value = this.text(parent, name, path);
    if (value === undefined) return undefined;
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    throw invalid(`${path}/${name}`, `not 0/1: ${JSON.stringify(value)}`);
  }

  date(parent: Element, name: string, path: string): DateOnly | undefined {
    const value = this.text(parent, name, path);
    if (value === undefined) return undefined;
    const read = readEdxmlDate(value);
    if (!read) throw invalid(`${path}/${name}`, `not a date in yyyy/MM/dd form: ${JSON.stringify(value)}`);
    if (!read.usualForm) this.warn('date_form', `${name} is written ${value}, not yyyy/MM/dd`, `${path}/${name}`);
    return read.date;
  }

  requiredDate(parent: Element, name: string, path: string): DateOnly {
    const date = this.date(parent, name, path);
    if (date === undefined) throw missing(`${path}/${name}`);
    return date;
  }

  requiredTimestamp(parent: Element, name: string, path: string): Date {
    const value = this.requiredText(parent, name, path);
    const read = readEdxmlTimestamp(value);
    if (!read) throw invalid(`${path}/${name}`, `not a timestamp in yyyy/MM/dd HH:mm:ss form: ${JSON.stringify(value)}`);
    if (!read.usualForm) this.warn('timestamp_form', `${name} is written ${value}, not yyyy/MM/dd HH:mm:ss`, `${path}/${name}`);
    return read.at;
  }

  organId(value: string, field: string): OrganId {
    if (!isValidOrganId(value)) throw invalid(field, `not an organ id (QCVN 102 LLL.KK.JJ.MXX or QĐ 20/2020): ${JSON.stringify(value)}`);
    return value as OrganId;
  }

  requiredOrganId(parent: Element, name: string, path: string): OrganId {
    return this.organId(this.requiredText(parent, name, path), `${path}/${name}`);
  }

  /** Organ ids of the sender and recipients: a shape other than LLL.KK.JJ.MXX is accepted and noted. */
  partyOrganId(parent: Element, name: string, path: string): OrganId {
    const id = this.requiredOrganId(parent, name, path);
    if (!isQcvn102OrganId(id)) this.warn('organ_id_form', `organ id ${id} is not in the QCVN 102 form LLL.KK.JJ.MXX`, `${path}/${name}`);
    return id;
  }
}
