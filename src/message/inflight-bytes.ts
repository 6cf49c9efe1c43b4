/**
 * The bytes of messages this process holds in flight: being collected, waiting for or in
 * inspection, being relayed or stored. Each connection's message is bounded by the size
 * limit, but 500 connections × 50 MiB is 25 GiB: the budget (smtp.max_inflight_bytes) bounds
 * the sum, and what would go past it is refused with 451 4.3.1 (the sender retries) instead
 * of growing the process until the kernel kills it, and every message with it.
 */
export class InflightBytes {
  private held = 0;

  constructor(private max: number) {}

  get used(): number {
    return this.held;
  }

  get limit(): number {
    return this.max;
  }

  setLimit(max: number): void {
    this.max = max;
  }

  /** Takes `n` bytes of the budget; false (and nothing taken) when they do not fit. */
  tryTake(n: number): boolean {
    if (this.held + n > this.max) return false;
    this.held += n;
    return true;
  }

  give(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}
