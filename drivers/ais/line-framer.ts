/**
 * Splits a byte stream into text lines (LF or CR LF terminated). A line longer than
 * `maxLength` is cut off and reported through `onOverflow` with the number of bytes thrown
 * away, so resynchronisation on the next line end is visible.
 */
export class LineFramer {
  private buf = '';
  private overflowing = false;
  private dropped = 0;

  constructor(
    private readonly maxLength: number,
    private readonly onOverflow: (droppedBytes: number, head: string) => void,
  ) {}

  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    // latin1 keeps one char per byte, so lengths stay byte counts.
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const piece = nl < 0 ? text.slice(start) : text.slice(start, nl);
      if (this.overflowing) {
        this.dropped += piece.length + (nl < 0 ? 0 : 1);
      } else {
        this.buf += piece;
        if (this.buf.length > this.maxLength) {
          this.overflowing = true;
          this.dropped = this.buf.length + (nl < 0 ? 0 : 1);
          this.head = this.buf.slice(0, 40);
          this.buf = '';
        }
      }
      if (nl < 0) break;
      if (this.overflowing) {
        this.onOverflow(this.dropped, this.head);
        this.overflowing = false;
        this.dropped = 0;
      } else {
        lines.push(this.buf.endsWith('\r') ? this.buf.slice(0, -1) : this.buf);
        this.buf = '';
      }
      start = nl + 1;
    }
    return lines;
  }

  /** Whatever is left without a line end. */
  flush(): string[] {
    if (this.overflowing) {
      this.onOverflow(this.dropped, this.head);
      this.overflowing = false;
      this.dropped = 0;
      return [];
    }
    const rest = this.buf;
    this.buf = '';
    return rest.length > 0 ? [rest] : [];
  }

  private head = '';
}
