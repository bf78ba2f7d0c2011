/**
 * @serialport/binding-mock ships its declarations but its package `exports` map hides them from
 * NodeNext resolution; this declares the part serial-sim.ts uses.
 */
declare module '@serialport/binding-mock' {
  export interface MockPortBinding {
    readonly isOpen: boolean;
    emitData(data: Buffer | string | number[]): void;
    read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }>;
    write(buffer: Buffer): Promise<void>;
    close(): Promise<void>;
  }
  export const MockBinding: {
    createPort(path: string, options?: { echo?: boolean; record?: boolean; maxReadSize?: number }): void;
    open(options: { path: string; baudRate: number }): Promise<MockPortBinding>;
    list(): Promise<unknown[]>;
  };
}
