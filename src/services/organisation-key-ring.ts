// The organisation keys the node signs edXML envelopes and status messages with, one per hosted agency,
// following key custody: when a quản trị imports (rotates) or retires the agency's organisation key, the
// node signs with the new active key from then on, without a restart. In this process the change is
// applied at once (custody's change notice); other processes serving the same agencies see it at their
// next periodic check, which costs one indexed read per agency and unseals only when the key changed.

/** What the ring needs of key custody. `keyId` null: credentials from elsewhere (development files). */
export interface OrganisationKeySource<C> {
  /** The active key's id, or null when the agency has none in custody. */
  activeKeyId(organId: string): Promise<string | null>;
  /** Opens the active key (or a development fallback); undefined when there is none at all. */
  load(organId: string): Promise<{ readonly keyId: string | null; readonly credentials: C } | undefined>;
}

export class OrganisationKeyRing<C> {
  private readonly loaded = new Map<string, { readonly keyId: string | null; readonly credentials: C }>();

  constructor(private readonly source: OrganisationKeySource<C>) {}

  /** The credentials in use for an agency, if any. */
  credentials(organId: string): C | undefined {
    return this.loaded.get(organId)?.credentials;
  }

  async load(organId: string): Promise<void> {
    const key = await this.source.load(organId);
    if (key) this.loaded.set(organId, key);
    else this.loaded.delete(organId);
  }

  /** Reloads an agency's key when custody's active key is not the one in use; true when it did. */
  async refresh(organId: string): Promise<boolean> {
    const active = await this.source.activeKeyId(organId);
    const current = this.loaded.get(organId);
    if (current ? current.keyId === active : active === null) return false;
    await this.load(organId);
    return true;
  }
}
