import * as net from 'node:net';

/** How the server treats every connection. */
export type FaultMode = 'hang' | 'reset';

/**
 * A local TCP server that stands in for an impaired AWS region or shop: `hang` accepts connections
 * and reads requests but never answers (the usual shape of a regional outage); `reset` accepts and
 * resets each connection at once (RST). Loopback only.
 */
export class FaultServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted so far (proves the client really reached the server). */
  accepted = 0;

  private constructor(readonly mode: FaultMode) {
    this.server = net.createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (mode === 'reset') socket.resetAndDestroy();
      else socket.on('data', () => undefined);
    });
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(mode: FaultMode): Promise<FaultServer> {
    const s = new FaultServer(mode);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>` for SDK endpoint settings and fetch. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
