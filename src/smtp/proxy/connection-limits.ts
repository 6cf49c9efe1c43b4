/**
 * Open connections per client address, for `smtp.max_connections_per_ip`: one host
 * must not take every slot (smtp-server's maxClients only caps the total).
 */
export class PerClientCounter {
  private readonly open = new Map<string, number>();

  /** Counts a new connection; false when the client is already at the limit. */
  tryAcquire(address: string, limit: number): boolean {
    const current = this.open.get(address) ?? 0;
    if (current >= limit) return false;
    this.open.set(address, current + 1);
    return true;
  }

  release(address: string): void {
    const current = this.open.get(address) ?? 0;
    if (current <= 1) this.open.delete(address);
    else this.open.set(address, current - 1);
  }
}
