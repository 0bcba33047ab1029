// Limits that keep a hostile package from exhausting the node (issue 4, item 4). Every limit is
// configurable; the defaults follow the provinces' rules (50 MB per file, 20 files per package).
export interface EdxmlLimits {
  /** Whole package as received, in bytes (envelope + base64 attachments). Default 256 MiB. */
  readonly maxPackageBytes: number;
  /** Everything except attachment contents (the part DOM-parsed), in bytes. Default 4 MiB. */
  readonly maxEnvelopeBytes: number;
  /** Element nesting depth. Real packages nest 8 deep. Default 64. */
  readonly maxDepth: number;
  /** Number of elements. Default 50,000 (a thousand recipients with their details fit). */
  readonly maxElements: number;
  /** Length of one attribute value, in bytes (UTF-8). Default 4,096. */
  readonly maxAttributeLength: number;
  /** Number of attachments. Default 20. */
  readonly maxAttachments: number;
  /** Decoded size of one attachment file (and of its ZIP, plus a small allowance), in bytes. Default 50 MiB. */
  readonly maxAttachmentBytes: number;
}

export const defaultEdxmlLimits: EdxmlLimits = Object.freeze({
  maxPackageBytes: 256 * 1024 * 1024,
  maxEnvelopeBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 50_000,
  maxAttributeLength: 4096,
  maxAttachments: 20,
  maxAttachmentBytes: 50 * 1024 * 1024,
});

export const resolveEdxmlLimits = (overrides: Partial<EdxmlLimits> = {}): EdxmlLimits => ({ ...defaultEdxmlLimits, ...overrides });
