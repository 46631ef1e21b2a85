import { Writable } from 'node:stream';

/** A writable that keeps what a command printed, for the test to read; `tty` makes it look like a terminal. */
export class Capture extends Writable {
  text = '';
  isTTY?: boolean;
  constructor(options: { tty?: boolean } = {}) {
    super();
    if (options.tty) this.isTTY = true;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
