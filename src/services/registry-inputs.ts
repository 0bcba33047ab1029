import type { Confidentiality, Origin, Priority } from '../domain/document.ts';

/** A document arriving at the văn thư: paper (scanned) or electronic received outside the axis. */
export interface IncomingRegistration {
  readonly origin: Origin;
  readonly senderName: string;
  readonly senderOrganId?: string | null;
  readonly codeNumber?: string | null;
  readonly codeNotation?: string | null;
  readonly issuedDate?: string | null;
  readonly typeName: string;
  readonly subject: string;
  readonly priority: Priority;
  readonly confidentiality?: Confidentiality;
  readonly pageAmount?: number | null;
  readonly description?: string | null;
  readonly signerFullName?: string | null;
  readonly signerPosition?: string | null;
  readonly dueDate?: string | null;
  readonly toPlaces?: readonly string[];
  readonly recipientsNote?: string | null;
  readonly notes?: string | null;
  readonly edxmlDocumentId?: string | null;
}

export interface OutgoingDraft {
  readonly typeName: string;
  readonly subject: string;
  readonly draftingUnitId?: string | null;
  readonly confidentiality?: Confidentiality;
  readonly priority: Priority;
  readonly recipients?: readonly { organId: string | null; organName: string }[];
  readonly signerFullName?: string | null;
  readonly signerPosition?: string | null;
  readonly signerCompetence?: string | null;
  readonly pageAmount?: number | null;
  readonly issuedAmount?: number | null;
  readonly dueDate?: string | null;
  readonly description?: string | null;
  readonly recipientsNote?: string | null;
  readonly notes?: string | null;
}
