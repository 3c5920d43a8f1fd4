/**
 * First-fit free-list allocator over a WebAssembly.Memory that JS owns. Blocks are 64-byte
 * aligned (a cache line, and any v128). The memory grows on demand up to `maxBytes`.
 */
export const ALIGN = 64;
const PAGE = 65536;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

interface Block {
  ptr: number;
  size: number;
}

export class WasmAllocator {
  /** Free blocks sorted by address, never adjacent (coalesced). */
  private free: Block[] = [];
  private used = new Map<number, number>();
  private usedBytes = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly base: number,
    private readonly maxBytes: number,
  ) {
    const start = alignUp(base, ALIGN);
    const end = memory.buffer.byteLength;
    if (end > start) this.free.push({ ptr: start, size: end - start });
  }

  /** Bytes handed out and not yet freed. */
  get bytesInUse(): number {
    return this.usedBytes;
  }

  /** Returns a 64-byte aligned block of at least `bytes` bytes (contents unspecified). */
  alloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`wcnn: cannot allocate ${bytes} bytes`);
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    let i = this.free.findIndex((b) => b.size >= size);
    if (i < 0) i = this.grow(size);
    const block = this.free[i];
    const ptr = block.ptr;
    if (block.size === size) this.free.splice(i, 1);
    else {
      block.ptr += size;
      block.size -= size;
    }
    this.used.set(ptr, size);
    this.usedBytes += size;
    return ptr;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`wcnn: internal error: freeing unknown block ${ptr}`);
    this.used.delete(ptr);
    this.usedBytes -= size;
    // Insert in address order, then merge with the neighbours it touches.
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid].ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { ptr, size });
    const next = this.free[lo + 1];
    if (next && ptr + size === next.ptr) {
      this.free[lo].size += next.size;
      this.free.splice(lo + 1, 1);
    }
    const prev = this.free[lo - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += this.free[lo].size;
      this.free.splice(lo, 1);
    }
  }

  /** Grows the memory so that a free block of `size` bytes ends at its top; returns that block's index. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tailFree = last && last.ptr + last.size === end ? last.size : 0;
    const need = size - tailFree;
    // Grow by at least a quarter of the current size, so a run of allocations grows rarely.
    let pages = Math.max(Math.ceil(need / PAGE), Math.ceil(end / PAGE / 4));
    const limitPages = Math.floor(this.maxBytes / PAGE);
    const currentPages = end / PAGE;
    if (currentPages + pages > limitPages) pages = Math.ceil(need / PAGE);
    if (currentPages + pages > limitPages) throw this.outOfMemory(size);
    try {
      this.memory.grow(pages);
    } catch {
      throw this.outOfMemory(size);
    }
    const grown = pages * PAGE;
    if (tailFree > 0) last.size += grown;
    else this.free.push({ ptr: end, size: grown });
    return this.free.length - 1;
  }

  private outOfMemory(size: number): Error {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    return new Error(
      `wcnn: out of memory: cannot allocate ${mb(size)} (in use ${mb(this.usedBytes)}, ` +
        `wasm memory ${mb(this.memory.buffer.byteLength)}, limit ${mb(this.maxBytes)})`,
    );
  }
}
